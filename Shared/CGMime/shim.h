#ifndef CGMIME_SHIM_H
#define CGMIME_SHIM_H

#include <gmime/gmime.h>

/* GMime's type checks and casts are function-like macros, which Swift does not import:
 * these are the ones the portal needs, as functions. */
static inline gboolean portal_gmime_is_multipart(GMimeObject *object) { return GMIME_IS_MULTIPART(object); }
static inline gboolean portal_gmime_is_message_part(GMimeObject *object) { return GMIME_IS_MESSAGE_PART(object); }
static inline gboolean portal_gmime_is_part(GMimeObject *object) { return GMIME_IS_PART(object); }
static inline gboolean portal_gmime_is_text_part(GMimeObject *object) { return GMIME_IS_TEXT_PART(object); }
static inline GMimeMultipart *portal_gmime_multipart(GMimeObject *object) { return GMIME_MULTIPART(object); }
static inline GMimeMessagePart *portal_gmime_message_part(GMimeObject *object) { return GMIME_MESSAGE_PART(object); }
static inline GMimePart *portal_gmime_part(GMimeObject *object) { return GMIME_PART(object); }
static inline GMimeTextPart *portal_gmime_text_part(GMimeObject *object) { return GMIME_TEXT_PART(object); }
static inline GMimeObject *portal_gmime_object(void *object) { return GMIME_OBJECT(object); }
static inline GMimeStream *portal_gmime_stream(void *object) { return GMIME_STREAM(object); }
static inline GMimeStreamMem *portal_gmime_stream_mem(GMimeStream *stream) { return GMIME_STREAM_MEM(stream); }
static inline gboolean portal_gmime_is_mailbox(InternetAddress *address) { return INTERNET_ADDRESS_IS_MAILBOX(address); }
static inline InternetAddressMailbox *portal_gmime_mailbox(InternetAddress *address) { return INTERNET_ADDRESS_MAILBOX(address); }
static inline void portal_g_object_unref(void *object) { if (object) g_object_unref(object); }
static inline const guint8 *portal_byte_array_data(GByteArray *array) { return array->data; }
static inline guint portal_byte_array_length(GByteArray *array) { return array->len; }

#endif
