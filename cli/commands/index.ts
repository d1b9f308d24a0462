import type { CliCommand } from '../command';
import { calibrate } from './calibrate';
import { consoleCmd } from './console';
import { doctor } from './doctor';
import { failed } from './failed';
import { history } from './history';
import { messages } from './messages';
import { redrive } from './redrive';
import { replay } from './replay';
import { send } from './send';
import { status } from './status';

/** Every subcommand, in the order `--help` lists them. */
export const COMMANDS: readonly CliCommand[] = [
  calibrate,
  status,
  history,
  messages,
  failed,
  send,
  redrive,
  replay,
  doctor,
  consoleCmd,
];
