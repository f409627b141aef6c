using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Strata.Common.Files;
using Strata.LoadBalancing.Proxy;

namespace Strata.LoadBalancing.HaProxy;

/// <summary>
/// Starts haproxy for one load balancer from its rendered configuration, waits for its Runtime API and puts the
/// members back; reloads it seamlessly onto a configuration with more server slots. What it started is written to
/// the state file, so the driver adopts it later; a start that fails is recorded there with its reason.
/// </summary>
internal sealed class HaProxyLauncher(HaProxyLoadBalancerOptions options, TimeProvider time, ILogger logger)
{
    public async Task<LoadBalancerInstance> StartAsync(HaProxyStateDocument desired, HaProxyFiles files, CancellationToken ct)
    {
        if (HaProxyProcess.Resolve(options.HaProxyPath) is not { } haproxy)
        {
            return Fail(desired, files, $"haproxy was not found ('{options.HaProxyPath}' is not on PATH); install it with: apt-get install haproxy");
        }

        File.Delete(files.Socket);
        if (await LaunchAsync(haproxy, desired, files, replacing: null, ct).ConfigureAwait(false) is { } error)
        {
            return Fail(desired, files, error);
        }

        var pid = HaProxyProcess.ReadPid(files);
        var started = desired with { ProcessId = pid, ProcessStartTime = HaProxyProcess.StartTimeOf(pid, desired.Id), Members = [] };
        if (!await WaitForApiAsync(files, ct).ConfigureAwait(false))
        {
            await HaProxyProcess.StopAsync(started, TimeSpan.Zero, time, ct).ConfigureAwait(false);
            return Fail(desired, files, $"haproxy did not answer on {files.Socket} within {options.StartTimeout.TotalSeconds:0.#} s; see {files.Log}");
        }

        var members = await Membership(files, desired).ApplyAsync([.. desired.Members.Select(m => m.ToMember())], [], desired.Slots, ct).ConfigureAwait(false);
        started = started with { Members = members };
        files.WriteState(started);
        HaProxyLog.Started(logger, desired.Id, pid, started.Url, members.Count);
        return InstanceOf(started);
    }

    /// <summary>
    /// Runs haproxy from the desired configuration with empty maps; with <paramref name="replacing"/>, as a seamless
    /// reload that takes over that process's listening sockets and lets it finish its sessions.
    /// </summary>
    /// <returns>Why haproxy did not start, or null.</returns>
    private async Task<string?> LaunchAsync(string haproxy, HaProxyStateDocument desired, HaProxyFiles files, HaProxyStateDocument? replacing, CancellationToken ct)
    {
        AtomicFile.Write(files.Config, Encoding.UTF8.GetBytes(desired.ConfigText), AtomicFileOptions.OwnerOnly);
        await File.WriteAllTextAsync(files.PinMap, "", ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(files.AnyPinMap, "", ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(files.SlotMap, "", ct).ConfigureAwait(false);
        File.Delete(files.PidFile);
        using var launcher = HaProxyProcess.Start(haproxy, desired.Id, files, replacing?.ProcessId);
        await launcher.WaitForExitAsync(ct).WaitAsync(options.StartTimeout, time, ct).ConfigureAwait(false);
        return launcher.ExitCode == 0 ? null : ProxyFiles.LastLogLine(files.Log) ?? $"haproxy exited with code {launcher.ExitCode}";
    }

    /// <summary>
    /// Regenerates the configuration with enough server slots for <paramref name="needed"/> members and reloads
    /// haproxy onto it. The new process starts with every slot free; the old one finishes its in-flight requests, so
    /// members draining there leave with it.
    /// </summary>
    public async Task<HaProxyStateDocument> GrowAsync(HaProxyStateDocument state, HaProxyFiles files, int needed, CancellationToken ct)
    {
        if (state.Definition is null || HaProxyProcess.Resolve(options.HaProxyPath) is not { } haproxy)
        {
            throw new InvalidOperationException($"Load balancer {state.Id} needs {needed} server slots and has {state.Slots}; ensure it runs again to regenerate its configuration.");
        }

        var slots = SlotsFor(needed);
        var certificate = state.Definition.Tls is null ? null : WriteCertificate(state.Definition.Tls, files);
        var grown = state with
        {
            ConfigText = HaProxyConfig.Render(state.Definition, state.Port, slots, files, options, certificate?.Thumbprint),
            Slots = slots,
            Members = [],
        };
        var error = await LaunchAsync(haproxy, grown, files, replacing: state, ct).ConfigureAwait(false);
        if (error is not null || !await WaitForApiAsync(files, ct).ConfigureAwait(false))
        {
            throw new InvalidOperationException(
                $"Load balancer {state.Id}: haproxy did not reload with {slots} server slots: {error ?? ProxyFiles.LastLogLine(files.Log) ?? "(no log)"}");
        }

        var pid = HaProxyProcess.ReadPid(files);
        grown = grown with { ProcessId = pid, ProcessStartTime = HaProxyProcess.StartTimeOf(pid, state.Id) };
        files.WriteState(grown);
        HaProxyLog.Grown(logger, state.Id, slots, pid);
        return grown;
    }

    /// <summary>The configured number of slots, doubled until <paramref name="needed"/> fit.</summary>
    public int SlotsFor(int needed)
    {
        var slots = options.ServerSlots;
        while (slots < needed)
        {
            slots *= 2;
        }

        return slots <= HaProxyLoadBalancerOptions.MaxServerSlots
            ? slots
            : throw new InvalidOperationException($"{needed} members need more than the {HaProxyLoadBalancerOptions.MaxServerSlots} server slots one haproxy may declare.");
    }

    private async Task<bool> WaitForApiAsync(HaProxyFiles files, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        while (!await Api(files).IsAnsweringAsync(ct).ConfigureAwait(false))
        {
            if (time.GetElapsedTime(started) >= options.StartTimeout)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(25), time, ct).ConfigureAwait(false);
        }

        return true;
    }

    private LoadBalancerInstance Fail(HaProxyStateDocument desired, HaProxyFiles files, string message)
    {
        HaProxyLog.StartFailed(logger, desired.Id, message);
        files.WriteState(desired with { ProcessId = 0, ProcessStartTime = 0, Message = message });
        return new LoadBalancerInstance { Id = desired.Id, State = LoadBalancerInstanceState.Failed, Message = message };
    }

    public static LoadBalancerInstance InstanceOf(HaProxyStateDocument state) => new()
    {
        Id = state.Id,
        State = LoadBalancerInstanceState.Running,
        ProcessId = state.ProcessId,
        ProcessStartTime = state.ProcessStartTime,
        Url = state.Url,
        AdminUrl = null,
        CertificateNotAfter = state.CertificateNotAfter,
    };

    /// <summary>Writes the certificate and its key into one owner-only file, as haproxy reads them.</summary>
    public static (string Thumbprint, DateTimeOffset NotAfter)? WriteCertificate(TlsSettings? tls, HaProxyFiles files)
    {
        if (tls is null)
        {
            File.Delete(files.Certificate);
            return null;
        }

        using var certificate = tls.Load();
        var pem = File.ReadAllText(tls.CertificatePath).TrimEnd() + "\n" + File.ReadAllText(tls.KeyPath).TrimEnd() + "\n";
        AtomicFile.Write(files.Certificate, Encoding.UTF8.GetBytes(pem), AtomicFileOptions.OwnerOnly);
        return (certificate.GetCertHashString(HashAlgorithmName.SHA256), new DateTimeOffset(certificate.NotAfter.ToUniversalTime()));
    }

    private RuntimeApi Api(HaProxyFiles files) => new(files.Socket, options.RuntimeApiTimeout);

    private HaProxyMembership Membership(HaProxyFiles files, HaProxyStateDocument state) =>
        new(Api(files), files, state.Definition?.Sticky ?? false, time);
}
