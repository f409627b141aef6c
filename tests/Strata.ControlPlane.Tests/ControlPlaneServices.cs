using Microsoft.Extensions.DependencyInjection;
using Strata.ControlPlane.Hosting;
using Strata.ControlPlane.Reconciliation;
using Strata.ControlPlane.State;
using Strata.Planning.State;
using Strata.Testing;

namespace Strata.ControlPlane.Tests;

/// <summary>
/// The control plane's real services over a temporary home folder, without starting any hosted service, so tests
/// reach the internal implementations through the interfaces they are registered under.
/// </summary>
internal sealed class ControlPlaneServices : IAsyncDisposable
{
    private readonly TemporaryDirectory _home = new("strata-cp");
    private readonly ServiceProvider _provider;

    /// <param name="time">The clock; the system's when null.</param>
    /// <param name="replace">Registrations made before the control plane's, which they replace (e.g. an <c>IHealthProbe</c>).</param>
    /// <param name="after">
    /// Registrations made after the control plane's, for services it registers unconditionally (the provider, the
    /// tier capacity): the last registration is the one resolved.
    /// </param>
    public ControlPlaneServices(TimeProvider? time = null, Action<IServiceCollection>? replace = null, Action<IServiceCollection>? after = null)
    {
        Paths = new StrataPaths(_home.Path);
        var services = new ServiceCollection();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        replace?.Invoke(services);

        // The proxy is never started here; the command only has to be valid for the load-balancer drivers to build.
        services.AddStrataControlPlane(new ControlPlaneOptions { Paths = Paths, ProxyCommand = ["strata", "proxy"] });
        after?.Invoke(services);
        _provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = false, ValidateScopes = true });
    }

    public StrataPaths Paths { get; }

    public T Get<T>()
        where T : notnull => _provider.GetRequiredService<T>();

    /// <summary>The state store, with its schema created.</summary>
    public async Task<IStateStore> InitializedStoreAsync()
    {
        var store = Get<IStateStore>();
        await store.InitializeAsync(CancellationToken.None).WithTimeout();
        return store;
    }

    /// <summary>A runtime of <paramref name="yaml"/> applied to an empty state, stored in this home's state store.</summary>
    /// <param name="adjust">Changes to the applied state, e.g. servers put in service.</param>
    public async Task<DeploymentRuntime> RuntimeAsync(string yaml, Func<DeploymentState, DeploymentState>? adjust = null) =>
        AppliedDeployments.Runtime(await InitializedStoreAsync(), yaml, adjust);

    public async ValueTask DisposeAsync()
    {
        await _provider.DisposeAsync();
        _home.Dispose();
    }
}
