import type { CliCommand } from '../command';
import { calibrate } from './calibrate';
import { failed } from './failed';
import { history } from './history';
import { messages } from './messages';
import { send } from './send';
import { status } from './status';

/** Every subcommand, in the order `--help` lists them. */
export const COMMANDS: readonly CliCommand[] = [calibrate, status, history, messages, failed, send];
