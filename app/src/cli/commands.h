#pragma once
// Each subcommand of `stagegate`; returns the process exit code.
namespace stagegate::cli {

int serve(int argc, char** argv);
int sign(int argc, char** argv);
int send(int argc, char** argv);
int tail(int argc, char** argv);
int verify(int argc, char** argv);
int dev_setup(int argc, char** argv);
int dlq(int argc, char** argv);
int consumers(int argc, char** argv);
int monitor(int argc, char** argv);
int status(int argc, char** argv);
int report(int argc, char** argv);
int routes(int argc, char** argv);
int notify(int argc, char** argv);
int kb(int argc, char** argv);
int keys(int argc, char** argv);  // bus_keys.cpp
int providers(int argc, char** argv);
int config(int argc, char** argv);        // config.cpp
int check_config(int argc, char** argv);

}  // namespace stagegate::cli
