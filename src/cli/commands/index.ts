import type { Command } from 'commander';
import * as answer from './answer.js';
import * as attach from './attach.js';
import * as build from './build.js';
import * as checkpoint from './checkpoint.js';
import * as config from './config.js';
import * as daemon from './daemon.js';
import * as dashboard from './dashboard.js';
import * as diff from './diff.js';
import * as doctor from './doctor.js';
import * as down from './down.js';
import * as events from './events.js';
import * as exportCommand from './export.js';
import * as follow from './follow.js';
import * as killall from './killall.js';
import * as log from './log.js';
import * as ls from './ls.js';
import * as mission from './mission/index.js';
import * as notify from './notify.js';
import * as recover from './recover.js';
import * as restart from './restart.js';
import * as resume from './resume.js';
import * as rm from './rm.js';
import * as run from './run.js';
import * as send from './send.js';
import * as startup from './startup.js';
import * as status from './status.js';
import * as stop from './stop.js';
import * as up from './up.js';

/** Every command, in the order `holdfast --help` lists them. */
export const COMMANDS: readonly { register(program: Command): void }[] = [
  run,
  up,
  down,
  exportCommand,
  ls,
  status,
  log,
  follow,
  attach,
  answer,
  send,
  stop,
  restart,
  resume,
  rm,
  killall,
  events,
  dashboard,
  notify,
  recover,
  diff,
  checkpoint,
  mission,
  build,
  config,
  daemon,
  startup,
  doctor,
];
