/**
 * Imported first by every handler test, before the Powertools module builds its logger and metrics:
 * no log lines, no EMF blobs, no tracing, no SDK Node-version notice in the test output.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_TRACE_ENABLED = 'false';
process.env.POWERTOOLS_METRICS_NAMESPACE = 'LoyaltyTriggersTest';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
