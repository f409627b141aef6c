using Microsoft.Extensions.Options;

namespace Strata.LoadBalancing.BuiltIn;

/// <summary>Options of the built-in load balancer driver (<c>builtin</c>): one proxy process per load balancer.</summary>
public sealed class BuiltInLoadBalancerOptions
{
    /// <summary>
    /// The folder holding one sub-folder per load balancer (config, member list, state file, log). Required; there is
    /// no default because it must survive control-plane restarts, e.g. <c>/var/lib/strata/lb</c>.
    /// </summary>
    public string RootPath { get; set; } = "";

    /// <summary>
    /// The command that starts a proxy, to which <c>--config FILE</c> is appended, e.g. <c>["/usr/bin/strata", "proxy"]</c>
    /// or <c>["dotnet", "/opt/strata/strata.dll", "proxy"]</c>. Required.
    /// </summary>
    public IReadOnlyList<string> ProxyCommand { get; set; } = [];

    /// <summary>How long a new proxy has to answer on its admin endpoint. The default is 10 seconds.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How much longer than the load balancer's drain timeout a stopping proxy may take before it is killed.
    /// The default is 5 seconds.
    /// </summary>
    public TimeSpan StopGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the proxy waits for a member to accept a connection. The default is 5 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The timeout of each call to a proxy's admin endpoint. The default is 5 seconds.</summary>
    public TimeSpan AdminRequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether the proxy forwards on its socket event threads, the way HAProxy's event loops work, instead of handing
    /// every socket completion to the thread pool. That saves the thread hops and context switches that made the p99
    /// latency many times the median on a busy machine. It sets <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>
    /// in the environment of proxies started afterwards. The default is true.
    /// </summary>
    public bool InlineSocketCompletions { get; set; } = true;

    /// <summary>
    /// How many socket event threads a proxy runs (<c>DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT</c>); 0 leaves it to the
    /// runtime, which runs one per CPU with <see cref="InlineSocketCompletions"/>. One thread costs the least CPU per
    /// request and keeps the tail lowest: the runtime spreads client and member connections over its threads without
    /// regard to which request uses which, so with more threads most requests wake two of them. Raise it when one
    /// proxy must forward more than one CPU can (bench/lb reports the CPU time per request). The default is 1.
    /// </summary>
    public int SocketEventThreads { get; set; } = 1;

    /// <summary>Every problem with the options, empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(RootPath))
        {
            errors.Add($"{nameof(RootPath)} is required");
        }

        if (ProxyCommand.Count == 0 || ProxyCommand.Any(string.IsNullOrEmpty))
        {
            errors.Add($"{nameof(ProxyCommand)} must name the program that starts a proxy, e.g. [\"/usr/bin/strata\", \"proxy\"]");
        }

        if (SocketEventThreads < 0)
        {
            errors.Add($"{nameof(SocketEventThreads)} must not be negative");
        }

        foreach (var (name, value) in new[]
        {
            (nameof(StartTimeout), StartTimeout), (nameof(StopGracePeriod), StopGracePeriod),
            (nameof(ConnectTimeout), ConnectTimeout), (nameof(AdminRequestTimeout), AdminRequestTimeout),
        })
        {
            if (value <= TimeSpan.Zero)
            {
                errors.Add($"{name} must be positive");
            }
        }

        return errors;
    }
}

/// <summary>Reports every problem with the options at once when they are first used.</summary>
internal sealed class BuiltInLoadBalancerOptionsValidator : IValidateOptions<BuiltInLoadBalancerOptions>
{
    public ValidateOptionsResult Validate(string? name, BuiltInLoadBalancerOptions options)
    {
        var errors = options.Validate();
        return errors.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(errors);
    }
}
