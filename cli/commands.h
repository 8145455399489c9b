/* commands.h - one entry point per subcommand, each in cli/cmd_<name>.c. */
#ifndef CVO_CLI_COMMANDS_H
#define CVO_CLI_COMMANDS_H

#include "common.h"

int cmd_rfm(int argc, char **argv);
int cmd_segments(int argc, char **argv);
int cmd_profit(int argc, char **argv);
int cmd_cohorts(int argc, char **argv);
int cmd_nps(int argc, char **argv);
int cmd_dive(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_fit(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_forget(int argc, char **argv);
int cmd_experiments(int argc, char **argv);
int cmd_pull(int argc, char **argv);

#endif
