/**
 * The worker's logger for the SDK: no phone numbers in logs (STYLE §9; issue #7's log scan found
 * them). Conversation workflow ids carry the contact key (`conv:<channelId>:<wa_id>`: a phone
 * number on WhatsApp), and the SDK puts the workflow id and the task token (which encodes it) in
 * every activity and workflow log line: the contact key is masked and the token dropped before
 * anything is written.
 */
import { DefaultLogger, type LogLevel, type LogMetadata, type Logger } from '@temporalio/worker';

const CONTACT_IN_WORKFLOW_ID = /(conv:[^:\s'"]+:)[^:\s'",}]+/g;

const SEVERITY: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

function redact(meta: LogMetadata | undefined): LogMetadata | undefined {
  if (!meta) return meta;
  const out: LogMetadata = {};
  for (const [key, value] of Object.entries(meta)) {
    if (key === 'taskToken') continue;
    out[key] = typeof value === 'string' ? value.replace(CONTACT_IN_WORKFLOW_ID, '$1<contact>') : value;
  }
  return out;
}

/**
 * Lines below `level` are dropped before their metadata is read: the SDK logs every activity's
 * start and end at DEBUG (two per local activity, several local activities for a new
 * conversation), and redacting what the level then discards was work on every one of them.
 */
export function redactingLogger(
  level: LogLevel,
  write: ConstructorParameters<typeof DefaultLogger>[1] = undefined,
): Logger {
  const inner = new DefaultLogger(level, write);
  const least = SEVERITY[level];
  const log = (l: LogLevel, message: string, meta?: LogMetadata) => {
    if (SEVERITY[l] >= least) inner.log(l, message, redact(meta));
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}
