import chalk from "chalk";

// chalk already turns colour off when stdout is not a terminal; it does not read NO_COLOR (no-color.org).
if (process.env.NO_COLOR) chalk.level = 0;

export const colors = chalk;
