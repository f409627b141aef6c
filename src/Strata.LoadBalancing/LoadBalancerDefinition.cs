using System.Net;
using System.Text.RegularExpressions;

namespace Strata.LoadBalancing;

/// <summary>What a load balancer should be: where it listens and how it spreads requests.</summary>
public sealed partial record LoadBalancerDefinition
{
    /// <summary>The physical name, unique per control plane, e.g. <c>hello-front-a1b2c3</c>.</summary>
    public required string Id { get; init; }

    /// <summary>The deployment it belongs to, e.g. <c>hello</c>.</summary>
    public required string Deployment { get; init; }

    /// <summary>A loopback IP address, e.g. <c>127.0.0.1</c>.</summary>
    public required string ListenHost { get; init; }

    /// <summary>The port clients connect to; 0 lets the system pick one (reported in <see cref="LoadBalancerInstance.Url"/>).</summary>
    public required int ListenPort { get; init; }

    /// <summary>The default is round robin.</summary>
    public BalancingAlgorithm Algorithm { get; init; } = BalancingAlgorithm.RoundRobin;

    /// <summary>How long a leaving member may finish in-flight requests. The default is 10 seconds.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Passive health: a member whose live requests fail this many times in a row (connection refused or reset, or a
    /// 5xx answer) is taken out of rotation at once, before any active health check notices. The default is 3.
    /// </summary>
    public int PassiveHealthFailures { get; init; } = 3;

    /// <summary>
    /// Terminates TLS on the listen endpoint with this certificate, so <see cref="LoadBalancerInstance.Url"/> is
    /// <c>https://…</c>. The default, null, serves plain HTTP.
    /// </summary>
    public TlsSettings? Tls { get; init; }

    /// <summary>
    /// Sticky sessions: the first response sets the cookie <c>STRATA_STICKY</c> naming the member that answered, and
    /// later requests carrying it go to that member while it is in rotation; when it is draining or gone the request
    /// is balanced as usual and the cookie names the new member. The default is false.
    /// </summary>
    public bool Sticky { get; init; }

    /// <summary>Every problem with the definition, empty when it is valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(Id) || !IdPattern().IsMatch(Id))
        {
            errors.Add($"load balancer id '{Id}' must be 1-63 lowercase letters, digits or dashes, starting with a letter or digit");
        }

        if (string.IsNullOrWhiteSpace(Deployment))
        {
            errors.Add($"load balancer '{Id}': deployment is required");
        }

        if (!IPAddress.TryParse(ListenHost, out var address) || !IPAddress.IsLoopback(address))
        {
            errors.Add($"load balancer '{Id}': listen host '{ListenHost}' must be a loopback IP address such as 127.0.0.1");
        }

        if (ListenPort is < 0 or > 65535)
        {
            errors.Add($"load balancer '{Id}': listen port {ListenPort} must be between 0 and 65535");
        }

        if (DrainTimeout < TimeSpan.Zero)
        {
            errors.Add($"load balancer '{Id}': drain timeout {DrainTimeout} must not be negative");
        }

        if (PassiveHealthFailures is < 1 or > 100)
        {
            errors.Add($"load balancer '{Id}': passive health failures {PassiveHealthFailures} must be between 1 and 100");
        }

        if (Tls is not null)
        {
            errors.AddRange(Tls.Validate(Id));
        }

        return errors;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex IdPattern();
}
