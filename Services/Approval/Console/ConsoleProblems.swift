import ServiceKit

/// What the console says when an action is refused: the API's errors carry a stable code and an
/// English message for programs; a person reads the code's sentence here, in Vietnamese, with the
/// regulation cited as it names itself. English pages (`?lang=en`) keep the API's message.
enum ConsoleProblems {
    static func text(_ error: APIError, english: Bool) -> String {
        if english { return error.message }
        return vietnamese[error.code] ?? "Không thực hiện được thao tác này. Vui lòng tải lại trang và thử lại; nếu vẫn không được, báo Trung tâm kèm mã “\(error.code)”."
    }

    static let vietnamese: [String: String] = [
        // Who may do what.
        "editors_only": "Chỉ biên tập viên của Trung tâm thực hiện việc này.",
        "editorial_staff_only": "Chỉ biên tập viên và thành viên Ban Biên tập thực hiện việc này.",
        "not_an_approver": "Chỉ thành viên Ban Biên tập duyệt hoặc từ chối tin, bài.",
        "own_work": "Ông/bà là tác giả hoặc đã biên tập tin này nên không tự duyệt; tin do Trưởng Ban hoặc Phó Trưởng Ban được ủy quyền duyệt.",
        "reserved_for_unit_leader": "Tin này do thành viên Ban Biên tập phụ trách đơn vị gửi tin duyệt (Điều 13 khoản 1 điểm a).",
        "no_approval_authority": "Ông/bà chưa được Trưởng Ban ủy quyền duyệt loại tin này vào hôm nay (Điều 9 khoản 4; Điều 13 khoản 1 điểm a).",
        "head_only": "Chỉ Trưởng Ban Biên tập thực hiện việc này (Điều 9 khoản 4).",
        "submitting_unit_only": "Chỉ đơn vị đã gửi tin thực hiện việc này.",
        "not_a_deputy": "Người được ủy quyền phải là Phó Trưởng Ban Biên tập đương nhiệm.",
        // The item's state and version.
        "locked_by_another_editor": "Biên tập viên khác đang giữ quyền biên tập tin này; thông tin người giữ và thời hạn ở đầu trang. Vui lòng chờ hoặc liên hệ người đó.",
        "stale_revision": "Tin đã có phiên bản mới hơn trong lúc ông/bà xem; vui lòng tải lại trang, xem thay đổi rồi thao tác lại.",
        "not_editable": "Tin ở tình trạng này không sửa được; tin phải được trả lại trước.",
        "held_message_too_large": "Thư quá lớn để thành một tin (quá 100 tệp, quá 25 MB tệp đính kèm hoặc quá 1.000.000 ký tự): đề nghị đơn vị gửi lại thành nhiều thư, rồi loại bỏ thư này.",
        "picture_not_attached": "Nội dung có hình không kèm tệp: đính kèm tệp hình đó, hoặc bỏ hình khỏi nội dung.",
        "field_too_long": "Một mục dài quá mức cho phép; vui lòng rút gọn.",
        "invalid_transition": "Tình trạng hiện tại của tin không cho phép thao tác này; vui lòng tải lại trang.",
        "already_decided": "Việc này đã được xử lý trước đó.",
        "classification_incomplete": "Chưa thể trình duyệt: cần chọn thể loại nhuận bút, hệ số, tác giả và trang đăng.",
        "revision_required": "Thiếu số phiên bản được duyệt; vui lòng tải lại trang.",
        "if_match_required": "Thiếu số phiên bản đang sửa; vui lòng tải lại trang.",
        "change_note_required": "Ghi rõ nội dung thay đổi của phiên bản này.",
        "signing_key_unavailable": "Chưa ký được quyết định duyệt do khóa ký số của hệ thống chưa sẵn sàng; vui lòng báo quản trị hệ thống.",
        // Fields.
        "invalid_title": "Tiêu đề không được để trống và không quá 500 ký tự.",
        "body_required": "Nội dung không được để trống.",
        "invalid_body_format": "Chọn một định dạng nội dung trong danh sách.",
        "invalid_kind": "Chọn một loại tin trong danh sách.",
        "invalid_genre": "Chọn một thể loại nhuận bút trong danh sách.",
        "invalid_coefficient": "Hệ số là một số dương, viết như 8 hoặc 8,5.",
        "coefficient_above_maximum": "Hệ số vượt mức tối đa của thể loại nhuận bút đã chọn (Điều 7 khoản 1 Nghị định 18/2014/NĐ-CP).",
        "invalid_surcharge": "Một khoản phụ cấp nhuận bút không có trong danh mục.",
        "authors_required": "Ghi ít nhất một tác giả; mỗi tác giả cần có họ tên.",
        "invalid_author_shares": "Tỷ lệ của các đồng tác giả phải là số dương và cộng lại không quá 100 (Điều 4 khoản 6 Nghị định 18/2014/NĐ-CP).",
        "invalid_target_site": "Trang đăng phải là Cổng tỉnh (longan.gov.vn) hoặc trang thành phần của Cổng.",
        "unknown_target_site": "Trang thành phần này chưa được đăng ký; chọn Cổng tỉnh hoặc trang của một đơn vị.",
        "invalid_field": "Một lĩnh vực không có trong danh mục.",
        "invalid_date": "Ngày, giờ không đúng dạng.",
        "invalid_period": "Ngày kết thúc phải sau ngày bắt đầu.",
        "invalid_publish_at": "Giờ hẹn đăng không đúng dạng.",
        "reason_required": "Chọn một trong năm lý do từ chối và ghi rõ ghi chú (Điều 9 khoản 5).",
        "invalid_refusal_reason": "Chọn một trong năm lý do từ chối đăng tải (Điều 9 khoản 5).",
        "note_required": "Ghi rõ nội dung cần sửa để đơn vị gửi tin biết.",
        "publicExplanation_required": "Ghi lời giải thích mà người đọc sẽ thấy thay cho trang bị gỡ.",
        // Things that are not there.
        "article_not_found": "Không có tin, bài này, hoặc ông/bà không có quyền xem.",
        "revision_not_found": "Không có phiên bản này của tin.",
        "attachment_not_found": "Không có tệp đính kèm này.",
        "delegation_not_found": "Không có ủy quyền này.",
        "quarantine_not_found": "Không có thư bị giữ lại này.",
        "held_mail_not_found": "Không có thư bị giữ lại này.",
        "raw_message_missing": "Không còn bản gốc của thư này.",
        "unreadable_message": "Không đọc được bản gốc của thư này.",
        "unknown_unit": "Không có đơn vị này trong danh mục.",
        "unit_required": "Chọn đơn vị của thư trước khi đưa vào biên tập.",
        "invalid_id": "Địa chỉ trang không đúng; vui lòng mở lại từ danh sách.",
        "invalid_state": "Tình trạng không có trong danh sách.",
        "invalid_page": "Số trang không hợp lệ.",
        "invalid_order": "Cách sắp xếp không hợp lệ.",
        "invalid_revisions": "Số phiên bản để so sánh không hợp lệ.",
        // The service.
        "database_unavailable": "Hệ thống đang tạm gián đoạn; chưa có gì được lưu. Vui lòng thử lại sau ít phút.",
        "busy": "Hệ thống đang bận; chưa có gì được lưu. Vui lòng thử lại sau ít giây.",
        "broker_unavailable": "Hệ thống đang tạm gián đoạn; chưa có gì được lưu. Vui lòng thử lại sau ít phút.",
    ]
}
