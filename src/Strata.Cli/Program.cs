using Strata.Cli;
using Strata.ControlPlane.Hosting;

// First of all: the thread pool reads the control plane's settings when it starts its first worker.
ServerRuntimeSettings.ApplyToServerProcess(args);
return await StrataCli.RunAsync(args);
