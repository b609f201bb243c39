extension SubmitPages {
    /// The form's enhancement when scripts run: formatting buttons that write Markdown around the
    /// selection, and a preview shown under the body without posting the form (so the files
    /// chosen stay chosen). Without scripts the form works the same, the preview by a round trip.
    static let editorScript = #"""
        (function () {
          var body = document.getElementById('body'), bar = document.getElementById('toolbar');
          if (!body || !bar) return;
          var tools = [
            ['Đậm', '**', '**'], ['Nghiêng', '*', '*'], ['Tiêu đề mục', '\n## ', ''],
            ['Danh sách', '\n- ', ''], ['Liên kết', '[', '](https://)']
          ];
          tools.forEach(function (tool) {
            var button = document.createElement('button');
            button.type = 'button';
            button.textContent = tool[0];
            button.addEventListener('click', function () {
              var start = body.selectionStart, end = body.selectionEnd, text = body.value;
              body.value = text.slice(0, start) + tool[1] + text.slice(start, end) + tool[2] + text.slice(end);
              body.focus();
              body.setSelectionRange(start + tool[1].length, end + tool[1].length);
            });
            bar.appendChild(button);
          });
          bar.hidden = false;
          var preview = document.getElementById('preview-button'), shown = document.getElementById('live-preview');
          var form = body.form, format = document.getElementById('bodyFormat');
          preview.addEventListener('click', function (event) {
            event.preventDefault();
            var data = new URLSearchParams();
            data.set('_csrf', form.elements['_csrf'].value);
            data.set('body', body.value);
            data.set('bodyFormat', format.value);
            fetch('/submit/preview', { method: 'POST', body: data, credentials: 'same-origin' })
              .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
              .then(function (html) { shown.innerHTML = '<h2>Xem trước nội dung</h2>' + html; shown.hidden = false; shown.scrollIntoView(); })
              .catch(function () { form.requestSubmit(preview); });
          });
        })();
        """#
}
