import type { CliCommand } from '../command';
import { calibrate } from './calibrate';

/** Every subcommand, in the order `--help` lists them. */
export const COMMANDS: readonly CliCommand[] = [calibrate];
