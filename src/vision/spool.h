/*
 * spool.h - a durable local outbox for the line-side inspection node
 * (prefix vis_spool_). `parkline inspect run` writes each unit's verdict
 * here before the unit counts as done, and a sender drains it to the
 * platform; a record leaves the spool only when the platform acknowledged
 * it. The spool is plain files (no database), so the vision module keeps
 * depending on core alone.
 *
 * Layout of a spool directory:
 *   DIR/lock           flock()ed by the one process using the spool
 *   DIR/q/KEY.json     one pending record: {"seq","key","counts","payload"}
 *   DIR/tmp/           files being written (cleared on open)
 *   DIR/counters.json  counts folded in from acknowledged records, and the
 *                      last record folded: {"counts","seq","last_key"}
 *
 * Durability (each step fsyncs the file, then its directory):
 *   put:  write tmp/KEY.json, fsync, rename to q/KEY.json, fsync q/.
 *   ack:  write counters.json (old counts + the record's, last_key = KEY,
 *         seq = its seq) through tmp/ the same way, then unlink q/KEY.json,
 *         fsync q/. A crash between the two leaves q/KEY.json whose seq is
 *         counters.json's: open() unlinks it instead of counting it twice.
 * So after any crash, totals (folded + pending) count every put record
 * exactly once, and every record not acknowledged is still pending.
 *
 * Threads: every function may be called from any thread (one mutex); the
 * handle is owned by whoever opened it. Limits: keys are 1..VIS_SPOOL_KEY_MAX
 * bytes of [A-Za-z0-9._-] not starting with '.', a record file is at most
 * VIS_SPOOL_RECORD_MAX bytes, at most VIS_SPOOL_PENDING_MAX records wait.
 */
#ifndef PL_VISION_SPOOL_H
#define PL_VISION_SPOOL_H

#include "core/core.h"

#define VIS_SPOOL_KEY_MAX 100
#define VIS_SPOOL_RECORD_MAX (1u << 20)
#define VIS_SPOOL_PENDING_MAX 1000000u

struct vis_spool;

/* Opens (creating as needed) the spool in dir, takes its lock, clears
 * tmp/, finishes an interrupted ack and loads the pending records' keys
 * and counts (every pending record starts offered). Errors: PL_EBUSY
 * (another process holds the lock), PL_EIO (a directory or file cannot be
 * made or read), PL_EPARSE (a record or counters.json is corrupt: the
 * spool is left as it is for a person to look at). why gets a sentence. */
int vis_spool_open(const char *dir, struct vis_spool **out, char *why, size_t whysz);
/* Releases the lock and memory; pending records stay on disk. NULL ok. */
void vis_spool_free(struct vis_spool *sp);

/* True when key is a valid spool key (see the limits above). */
bool vis_spool_key_valid(const char *key);

/* Stores one record durably before returning 0. payload (any JSON) and
 * counts (an object of non-negative integers, may be NULL) are borrowed.
 * offer=false keeps it from vis_spool_next until vis_spool_offer(key), for
 * callers that must finish their own step first. Errors: PL_EINVAL (bad
 * key or counts), PL_EEXIST (key already pending), PL_ETOOBIG (record
 * over the cap, or the spool is full), PL_EIO. On error nothing changed. */
int vis_spool_put(struct vis_spool *sp, const char *key, const json_t *payload,
		  const json_t *counts, bool offer);
/* True when a record with this key is pending. */
bool vis_spool_has(struct vis_spool *sp, const char *key);
/* Makes a pending record visible to vis_spool_next. PL_ENOTFOUND if absent. */
int vis_spool_offer(struct vis_spool *sp, const char *key);

/* The oldest offered record, not removed: key into key_out, the payload as
 * a new reference into *payload. Waits up to wait_ms for one. Errors:
 * PL_ETIMEOUT (none offered), PL_ECONFLICT (vis_spool_stop was called),
 * PL_EIO / PL_EPARSE (its file cannot be read: it stays pending). */
int vis_spool_next(struct vis_spool *sp, int64_t wait_ms,
		   char key_out[VIS_SPOOL_KEY_MAX + 1], json_t **payload);
/* The platform took the record: fold its counts, then delete it (see the
 * durability notes). PL_ENOTFOUND if not pending, PL_EIO. */
int vis_spool_ack(struct vis_spool *sp, const char *key);
/* Wakes every vis_spool_next waiter; later calls return PL_ECONFLICT. */
void vis_spool_stop(struct vis_spool *sp);

/* Totals over every record ever put: folded + pending counts, as a new
 * object of integers. */
json_t *vis_spool_counts(struct vis_spool *sp);
/* Records pending (offered or not). */
size_t vis_spool_pending(struct vis_spool *sp);

#endif /* PL_VISION_SPOOL_H */
