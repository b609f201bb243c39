#ifndef CVIPS_SHIM_H
#define CVIPS_SHIM_H

#include <vips/vips.h>

/* Swift cannot call C variadic functions or function-like macros, so every
 * variadic vips call (and VIPS_INIT) is wrapped here in a static inline
 * function with a fixed argument list. */

/* Call exactly once, before any other vips use. 0 = ok, -1 = error.
 * concurrency: worker threads per pipeline (0 = default = cores).
 * cache_max_ops: operation cache size (0 disables caching; a thumbnailing
 * server gains nothing from the cache, each input is new). */
static inline int cvips_init(const char *argv0, int concurrency,
                             int cache_max_ops, size_t cache_max_mem) {
    if (VIPS_INIT(argv0 ? argv0 : "cvips") != 0)
        return -1;
    if (concurrency > 0)
        vips_concurrency_set(concurrency);
    vips_cache_set_max(cache_max_ops);
    vips_cache_set_max_mem(cache_max_mem);
    vips_cache_set_max_files(0);
    return 0;
}

typedef enum { CVIPS_JPEG = 0, CVIPS_WEBP = 1, CVIPS_PNG = 2 } CVipsFormat;

/* Thumbnail encoded image bytes (JPEG/PNG/WebP/GIF/TIFF...) to `width`
 * pixels wide, never upscaling, auto-rotated by EXIF, metadata stripped.
 * max_height <= 0 means "width only" (height is otherwise a bounding box:
 * if left out vips uses height = width, which would shrink portraits).
 * `in` must stay valid for the whole call (vips does not copy it).
 * On success returns 0 and *out / *out_len hold a buffer the caller frees
 * with cvips_free(); *out_w / *out_h (may be NULL) get the result size. */
static inline int cvips_thumbnail(const void *in, size_t in_len,
                                  int width, int max_height,
                                  CVipsFormat format, int quality,
                                  void **out, size_t *out_len,
                                  int *out_w, int *out_h) {
    VipsImage *thumb = NULL;
    int rc;
    *out = NULL;
    *out_len = 0;
    if (vips_thumbnail_buffer((void *)in, in_len, &thumb, width,
            "height", max_height > 0 ? max_height : VIPS_MAX_COORD,
            "size", VIPS_SIZE_DOWN,
            NULL) != 0)
        return -1;
    switch (format) {
    case CVIPS_WEBP:
        rc = vips_webpsave_buffer(thumb, out, out_len,
                "Q", quality, "strip", TRUE, NULL);
        break;
    case CVIPS_PNG:
        rc = vips_pngsave_buffer(thumb, out, out_len, "strip", TRUE, NULL);
        break;
    default:
        rc = vips_jpegsave_buffer(thumb, out, out_len,
                "Q", quality, "strip", TRUE,
                "optimize_coding", TRUE, "interlace", TRUE, NULL);
        break;
    }
    if (rc == 0) {
        if (out_w) *out_w = vips_image_get_width(thumb);
        if (out_h) *out_h = vips_image_get_height(thumb);
    }
    g_object_unref(thumb);
    return rc;
}

/* Read only the header: pixel size as displayed (EXIF orientation 5-8
 * swaps w/h). Returns 0 ok, -1 not a decodable image. */
static inline int cvips_image_size(const void *in, size_t in_len,
                                   int *w, int *h) {
    VipsImage *img = vips_image_new_from_buffer(in, in_len, "",
            "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (!img)
        return -1;
    int iw = vips_image_get_width(img), ih = vips_image_get_height(img);
    if (vips_image_get_orientation_swap(img)) { int t = iw; iw = ih; ih = t; }
    *w = iw;
    *h = ih;
    g_object_unref(img);
    return 0;
}

/* 0 when the picture decodes, -1 when it does not: cut off (any format), or
 * damaged (PNG, GIF, WebP). The pixels are computed with the loader told to
 * stop at a serious error or a truncation (by default it goes on and fills the
 * rest with grey).
 *
 * jpeg_shrink: 0 for a picture that is not a JPEG; for a JPEG, 1, 2, 4 or 8,
 * the fraction of its size libjpeg decodes at while it reads, so a photo takes
 * milliseconds. The caller keeps the shrunk picture at least 8 pixels on each
 * side: libvips 8.14 aborts the process on a JPEG shrunk to nothing.
 *
 * libpng's errors inside the pixels sometimes reach only the error buffer
 * (libvips' worker threads race to end the pipeline), so for a PNG, GIF or
 * WebP a message there counts as failure too. libjpeg's warnings land there
 * as well ("extraneous bytes") for files that it and browsers draw, with
 * blotches, so for a JPEG only the result counts. The error buffer is the
 * process's: the caller serialises calls (Thumbnails.verdict). */
static inline int cvips_decodes(const void *in, size_t in_len, int jpeg_shrink) {
    vips_error_clear();
    VipsImage *image = jpeg_shrink > 0
        ? vips_image_new_from_buffer(in, in_len, "", "access", VIPS_ACCESS_SEQUENTIAL,
              "shrink", jpeg_shrink, "fail_on", VIPS_FAIL_ON_ERROR, NULL)
        : vips_image_new_from_buffer(in, in_len, "", "access", VIPS_ACCESS_SEQUENTIAL,
              "fail_on", VIPS_FAIL_ON_ERROR, NULL);
    if (!image)
        return -1;
    double average = 0;
    int rc = vips_avg(image, &average, NULL);
    g_object_unref(image);
    const char *errors = vips_error_buffer();
    if (rc == 0 && jpeg_shrink == 0 && errors && *errors)
        rc = -1;
    return rc == 0 ? 0 : -1;
}

/* Loader class name ("VipsForeignLoadJpegBuffer", ...) or NULL if the
 * bytes are no image vips knows. Non-variadic; callable directly too. */
static inline const char *cvips_sniff(const void *in, size_t in_len) {
    const char *n = vips_foreign_find_load_buffer(in, in_len);
    if (!n) vips_error_clear();
    return n;
}

/* Error text since last clear, as a g_malloc'd copy (free with cvips_free);
 * clears the buffer. NB the vips error buffer is process-global, not
 * per-thread: concurrent failures can interleave messages. */
static inline char *cvips_error_copy(void) { return vips_error_buffer_copy(); }

static inline void cvips_free(void *p) { g_free(p); }

/* Demo/seed image: w x h diagonal colour gradient (tinted by r,g,b in
 * 0..255) with `text` drawn in white, encoded as JPEG (Q 90). Needs only
 * libvips + fontconfig fonts; no network. Free *out with cvips_free(). */
static inline int cvips_demo_jpeg(int w, int h, const char *text,
                                  int r, int g, int b,
                                  void **out, size_t *out_len) {
    VipsImage *base = vips_image_new();
    VipsImage **t = (VipsImage **) vips_object_local_array(
            VIPS_OBJECT(base), 12);
    double white[3] = { 255, 255, 255 };
    int rc = -1;
    *out = NULL; *out_len = 0;
    /* x and y ramps -> R = r*x/w, G = g*y/h, B = b*(1-x/w); no noise, so that the same
     * picture gives the same bytes every time (a re-run of the seed is the same request). */
    if (vips_xyz(&t[0], w, h, NULL) ||
        vips_extract_band(t[0], &t[1], 0, NULL) ||
        vips_extract_band(t[0], &t[2], 1, NULL) ||
        vips_linear1(t[1], &t[3], r / (double) w, 0, NULL) ||
        vips_linear1(t[2], &t[4], g / (double) h, 0, NULL) ||
        vips_linear1(t[1], &t[5], -b / (double) w, b, NULL) ||
        vips_bandjoin(&t[3], &t[6], 3, NULL) ||
        vips_cast_uchar(t[6], &t[9], NULL) ||
        vips_copy(t[9], &t[10], "interpretation", VIPS_INTERPRETATION_sRGB,
                  NULL))
        goto done;
    t[11] = vips_image_copy_memory(t[10]);
    if (!t[11])
        goto done;
    if (text && *text) {
        VipsImage *mask = NULL;
        if (vips_text(&mask, text, "font", "sans bold",
                      "width", w * 8 / 10, "height", h / 5, NULL))
            goto done;
        int mx = (w - vips_image_get_width(mask)) / 2;
        int my = (h - vips_image_get_height(mask)) / 2;
        rc = vips_draw_mask(t[11], white, 3, mask, mx, my, NULL);
        g_object_unref(mask);
        if (rc) goto done;
    }
    rc = vips_jpegsave_buffer(t[11], out, out_len, "Q", 90, NULL);
done:
    g_object_unref(base);   /* frees every t[i] */
    return rc;
}

#endif
