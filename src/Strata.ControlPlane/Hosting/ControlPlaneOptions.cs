namespace Strata.ControlPlane.Hosting;

/// <summary>Options of the control-plane server.</summary>
public sealed class ControlPlaneOptions
{
    /// <summary>The default listen endpoint, <c>127.0.0.1:7480</c>.</summary>
    public const string DefaultListen = "127.0.0.1:7480";

    /// <summary>Where the REST API listens; loopback only. The default is <see cref="DefaultListen"/>.</summary>
    public string Listen { get; set; } = DefaultListen;

    /// <summary>The Strata home folder. The default is <c>$STRATA_HOME</c> or <c>~/.strata</c>.</summary>
    public StrataPaths Paths { get; set; } = StrataPaths.FromEnvironment();

    /// <summary>How often every deployment is reconciled even when nothing signalled a change. The default is 2 seconds.</summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest wait before a failing launch is retried. The default is 5 minutes.</summary>
    public TimeSpan MaxLaunchBackoff { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The command that starts a built-in load balancer process (the CLI sets it to itself plus <c>proxy</c>).</summary>
    public IReadOnlyList<string> ProxyCommand { get; set; } = [];
}
