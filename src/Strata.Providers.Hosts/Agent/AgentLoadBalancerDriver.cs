using Strata.Api.Contracts.Agent;
using Strata.LoadBalancing;
using Strata.LoadBalancing.Remote;

namespace Strata.Providers.Hosts.Agent;

/// <summary>
/// A load-balancer driver of a host: each call is carried out by the driver of the same name that the host's agent
/// runs, over the agent's channel, so the load balancer listens on the host's address and nothing new listens for the
/// control plane. A certificate is read here and sent with the definition. A host that cannot be asked makes a start
/// come back failed and counters come back null, as the drivers' contract has it for a load balancer that does not
/// answer; a change of members throws the <see cref="ProviderException"/>.
/// </summary>
internal sealed class AgentLoadBalancerDriver(HostAgent agent, string name) : ILoadBalancerDriver
{
    public string Name => name;

    /// <summary>The host the load balancers of this driver run on.</summary>
    public string Host => agent.Host;

    public async Task<LoadBalancerInstance> EnsureRunningAsync(LoadBalancerDefinition definition, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var (certificate, key) = definition.Tls is { } tls
            ? (await File.ReadAllTextAsync(tls.CertificatePath, ct).ConfigureAwait(false), await File.ReadAllTextAsync(tls.KeyPath, ct).ConfigureAwait(false))
            : ((string?)null, (string?)null);
        try
        {
            var reply = await agent.CallLoadBalancerAsync(
                name, AgentLoadBalancerOperation.Ensure, definition.Id, LoadBalancerWire.Write(definition), ct, certificate, key).ConfigureAwait(false);
            var instance = LoadBalancerWire.ReadInstance(reply.Body);

            // The driver on the host speaks of its own machine (a missing haproxy, a port in use): say which.
            return instance is { State: LoadBalancerInstanceState.Failed, Message: { } message }
                ? instance with { Message = $"on host {agent.Host}: {message}" }
                : instance;
        }
        catch (ProviderException ex)
        {
            return new LoadBalancerInstance { Id = definition.Id, State = LoadBalancerInstanceState.Failed, Message = ex.Message };
        }
    }

    public async Task<IReadOnlyList<MemberStatus>> SetMembersAsync(LoadBalancerInstance instance, IReadOnlyList<Member> members, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var reply = await agent.CallLoadBalancerAsync(
            name, AgentLoadBalancerOperation.SetMembers, instance.Id, LoadBalancerWire.Write(new SetMembersBody(instance, members)), ct).ConfigureAwait(false);
        return LoadBalancerWire.ReadStatuses(reply.Body);
    }

    public async Task<LoadBalancerInstance?> DescribeAsync(string id, CancellationToken ct)
    {
        var reply = await agent.CallLoadBalancerAsync(name, AgentLoadBalancerOperation.Describe, id, null, ct).ConfigureAwait(false);
        return reply.Body is null ? null : LoadBalancerWire.ReadInstance(reply.Body);
    }

    public async Task<LoadBalancerStats?> GetStatsAsync(LoadBalancerInstance instance, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(instance);
        try
        {
            var reply = await agent.CallLoadBalancerAsync(name, AgentLoadBalancerOperation.Stats, instance.Id, LoadBalancerWire.Write(instance), ct).ConfigureAwait(false);
            return reply.Body is null ? null : LoadBalancerWire.ReadStats(reply.Body);
        }
        catch (ProviderException)
        {
            return null;
        }
    }

    public Task StopAsync(string id, CancellationToken ct) => agent.CallLoadBalancerAsync(name, AgentLoadBalancerOperation.Stop, id, null, ct);
}
