using Strata.Cli;
using Strata.ControlPlane.Hosting;
using Strata.LoadBalancing.Proxy;

// The built-in load balancer's process, as its driver starts it, goes straight to the proxy: building the whole
// command tree first was a quarter of its start, and its start is on the path of every deployment's first `up`.
// The proxy handles its own signals (it drains for its drainTimeout on SIGTERM) and turns every end into an exit code.
if (args is ["proxy", "--config", var proxyConfig])
{
    return await ProxyProgram.RunAsync(proxyConfig, CancellationToken.None);
}

// First of all: the thread pool reads the control plane's settings when it starts its first worker.
ServerRuntimeSettings.ApplyToServerProcess(args);
return await StrataCli.RunAsync(args);
