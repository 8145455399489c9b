/* tz.h - time zones from the system's compiled zoneinfo (TZif, RFC 8536): the
 * UTC offset of a zone at any instant, from the 64-bit transition table and,
 * past its last transition (or when it has none), the POSIX TZ rule of the
 * footer. A loaded zone is read-only; tz_offset never fails. */
#ifndef CVO_IO_TZ_H
#define CVO_IO_TZ_H

#include "base/ctx.h"

#include <stddef.h>
#include <stdint.h>

#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"

typedef struct tz_zone tz_zone;

/* Loads the zone called name ("America/New_York") from dir (NULL: TZ_DEFAULT_DIR)
 * into *out, owned by the caller (tz_free). The name may come from a server, so
 * only A-Z a-z 0-9 _ + - / are taken, without a leading '/' (and so never ".."),
 * before it becomes a path. Errors: CVO_ERR_ARGUMENT ("time zone 'NAME': ..."),
 * CVO_ERR_IO ("PATH: no such time zone", or why it cannot be read),
 * CVO_ERR_FORMAT ("PATH: not a TZif file", "PATH: truncated: ...", bad data or
 * footer), CVO_ERR_LIMIT (over CVO_MAX_ZONE_FILE_BYTES), CVO_ERR_NOMEM. */
cvo_status tz_load(cvo_ctx *ctx, const char *dir, const char *name, tz_zone **out) CVO_MUST_USE;

/* The same from the len bytes of a TZif file; label names it in messages. Only
 * version 2 and later files are taken (the footer is needed), without leap
 * seconds ("right/" zones count them in their times). */
cvo_status tz_parse(cvo_ctx *ctx, const unsigned char *data, size_t len, const char *label,
                    tz_zone **out) CVO_MUST_USE;

/* Seconds east of UTC in force at utc_seconds (unix time). */
int32_t tz_offset(const tz_zone *zone, int64_t utc_seconds);

/* tz_free(ctx, NULL) is a no-op. */
void tz_free(cvo_ctx *ctx, tz_zone *zone);

#endif
