/**
 * Imported first by the embedded runtime, before the Powertools module builds its logger and metrics:
 * the handlers log errors only (LOG_LEVEL=WARN|INFO|DEBUG shows more: Powertools writes to stdout,
 * where it would mix with a command's --json output), write no EMF blobs and no traces to the
 * terminal, and the SDK prints no Node-version notice. Variables already set win.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= process.env.LOG_LEVEL ?? 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
process.env.POWERTOOLS_SERVICE_NAME ??= 'loyalty-triggers';
process.env.POWERTOOLS_METRICS_NAMESPACE ??= 'LoyaltyTriggersLocal';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// With tracing off, the X-Ray SDK (loaded by the Powertools tracer) still installs an async hook that
// tracks every promise's destruction, unless it starts in manual mode: a few percent of every run.
if (process.env.POWERTOOLS_TRACE_ENABLED === 'false') process.env.AWS_XRAY_MANUAL_MODE ??= 'true';
