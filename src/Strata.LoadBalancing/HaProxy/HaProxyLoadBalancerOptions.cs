using Microsoft.Extensions.Options;

namespace Strata.LoadBalancing.HaProxy;

/// <summary>Options of the HAProxy driver (<c>haproxy</c>): one supervised <c>haproxy</c> process per load balancer.</summary>
public sealed class HaProxyLoadBalancerOptions
{
    /// <summary>The largest pool of server slots, grown or configured: each slot is a line of the configuration and a row of every <c>show stat</c>.</summary>
    public const int MaxServerSlots = 4096;

    /// <summary>The haproxy program: a name looked up on PATH or an absolute path. The default is <c>haproxy</c>.</summary>
    public string HaProxyPath { get; set; } = "haproxy";

    /// <summary>
    /// The folder holding one sub-folder per load balancer (configuration, Runtime API socket, pid file, members, log).
    /// Required, e.g. <c>/var/lib/strata/haproxy</c>.
    /// </summary>
    public string RootPath { get; set; } = "";

    /// <summary>How long a new haproxy has to answer on its Runtime API socket. The default is 10 seconds.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How much longer than the drain timeout a stopping haproxy may take before it is killed. The default is 5 seconds.</summary>
    public TimeSpan StopGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>HAProxy's <c>timeout connect</c>: how long to wait for a server to accept. The default is 2 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>HAProxy's <c>timeout client</c> and <c>timeout server</c>. The default is 60 seconds.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The interval of HAProxy's own TCP check, which only brings a server marked down by passive health back; the
    /// control plane decides membership. The default is 1 second.
    /// </summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many server slots the generated configuration declares (<c>server-template s 1-N … disabled</c>). Members
    /// take a free slot through the Runtime API (<c>set server … addr</c>, <c>state ready</c>), which keeps HAProxy's
    /// pool of idle server connections; servers added with <c>add server</c> get none in HAProxy 2.6. A member that
    /// finds no free slot doubles the pool: the configuration is regenerated and haproxy reloaded seamlessly
    /// (<c>-x</c> + <c>-sf</c>), the only membership change that reloads. Draining members keep their slot until they
    /// leave. The default is 64.
    /// </summary>
    public int ServerSlots { get; set; } = 64;

    /// <summary>
    /// HAProxy's <c>nbthread</c>: the threads one haproxy runs. One thread forwards tens of thousands of small requests
    /// a second and costs the least CPU per request where haproxy shares the machine's cores with the servers behind
    /// it (about 12 % less than two threads on a 2-core machine, with a lower p99); 0 leaves HAProxy's default of one
    /// thread per CPU, for a load balancer that must forward more than one core can. The default is 1.
    /// </summary>
    public int Threads { get; set; } = 1;

    /// <summary>The timeout of each Runtime API command. The default is 5 seconds.</summary>
    public TimeSpan RuntimeApiTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Every problem with the options, empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(RootPath))
        {
            errors.Add($"{nameof(RootPath)} is required");
        }

        if (string.IsNullOrWhiteSpace(HaProxyPath))
        {
            errors.Add($"{nameof(HaProxyPath)} must name the haproxy program, e.g. haproxy or /usr/sbin/haproxy");
        }

        if (ServerSlots is < 1 or > MaxServerSlots)
        {
            errors.Add($"{nameof(ServerSlots)} must be between 1 and {MaxServerSlots}");
        }

        if (Threads < 0)
        {
            errors.Add($"{nameof(Threads)} must be 0 (one per CPU) or more");
        }

        foreach (var (name, value) in new[]
        {
            (nameof(StartTimeout), StartTimeout), (nameof(StopGracePeriod), StopGracePeriod), (nameof(ConnectTimeout), ConnectTimeout),
            (nameof(IdleTimeout), IdleTimeout), (nameof(CheckInterval), CheckInterval), (nameof(RuntimeApiTimeout), RuntimeApiTimeout),
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
internal sealed class HaProxyLoadBalancerOptionsValidator : IValidateOptions<HaProxyLoadBalancerOptions>
{
    public ValidateOptionsResult Validate(string? name, HaProxyLoadBalancerOptions options)
    {
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
