namespace Strata.Spec.Model;

public enum HealthCheckKind { Http, Tcp, Command }

/// <summary>An active health check. Exactly one of http path, tcp port or command is given.</summary>
public sealed record HealthCheckSpec
{
    public required HealthCheckKind Kind { get; init; }

    /// <summary>The request path for <see cref="HealthCheckKind.Http"/> checks, e.g. <c>/healthz</c>.</summary>
    public string? Path { get; init; }

    /// <summary>The port probed. For http checks the default is the tier's first port.</summary>
    public int? Port { get; init; }

    /// <summary>The command for <see cref="HealthCheckKind.Command"/> checks; exit code 0 is healthy.</summary>
    public Template? Command { get; init; }

    /// <summary>Time between probes. The default is 2 seconds.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A probe that takes longer fails. The default is 1 second.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Consecutive passes before a server is healthy. The default is 2.</summary>
    public int HealthyAfter { get; init; } = 2;

    /// <summary>Consecutive failures before a server is unhealthy. The default is 3.</summary>
    public int UnhealthyAfter { get; init; } = 3;

    /// <summary>How long a booting server may take to pass its first check before it is failed. The default is 60 seconds.</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromSeconds(60);

    public SourceLocation Location { get; init; }
}
