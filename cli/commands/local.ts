import { Command } from 'commander';
import { CliError } from '../errors';

export function localCommand(): Command {
  return new Command('local')
    .summary('run the whole pipeline on this machine, on emulators (npm start)')
    .option(
      '--logs <dir>',
      'folder of CloudTrail .json.gz files, at any depth (default: the shipped samples)',
    )
    .option('--data <dir>', 'persist the index here (default: .trail-index)')
    .option('--serve', 'keep the emulators running and print their endpoints')
    .action(() => {
      throw new CliError('local mode is not implemented yet');
    });
}
