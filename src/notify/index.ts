/** Notifications: the daemon's notifier, the sinks, and what `doctor` and `notify test` use. */
export { dryRunSink } from './dry-run.js';
export { Notifier, type NotifierOptions } from './notifier.js';
export { findSink, sinksOf, takes } from './resolve.js';
export { type SinkResult, sendToSink } from './sinks.js';
