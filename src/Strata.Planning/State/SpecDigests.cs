using Strata.Planning.Images;
using Strata.Spec.Interpolation;
using Strata.Spec.Model;

namespace Strata.Planning.State;

/// <summary>
/// Deterministic digests of spec parts, shared by the planner and the runtime so that both agree on what changed.
/// Each is SHA-256 over a canonical form (<c>sha256:</c> + hex) that ignores source locations and map order.
/// Templates are hashed as written: a change to a <c>${…}</c> expression is a change, a new address behind it is not;
/// the values of the parameters a launch template reads are part of the launch, since a new value is a new launch.
/// </summary>
public static class SpecDigests
{
    /// <summary>
    /// Everything that needs new servers when it changes: the image's run command, hooks and environment, the tier's
    /// environment, ports and volumes, and the values of the <paramref name="parameters"/> those templates read.
    /// </summary>
    public static string Launch(TierSpec tier, ImageSpec image, IReadOnlyDictionary<string, string>? parameters = null) =>
        Launch(LaunchParts(tier, image, parameters));

    internal static string Launch(IReadOnlyDictionary<string, string> parts)
    {
        using var hash = new CanonicalHash();
        return hash.Add("parts", parts, d => d).Finish();
    }

    /// <summary>
    /// The parts of <see cref="Launch"/>, each with its own digest, by name: <c>run</c>, <c>hooks</c>, <c>env</c>
    /// (image and tier), <c>ports</c>, <c>volumes</c> and, when the run command, the configure hook or the environment
    /// read parameters, <c>params</c> (their values as given in <paramref name="parameters"/>). Recorded in <see cref="TierState.LaunchParts"/> so that a
    /// plan can say which of them changed.
    /// </summary>
    public static IReadOnlyDictionary<string, string> LaunchParts(TierSpec tier, ImageSpec image, IReadOnlyDictionary<string, string>? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(tier);
        ArgumentNullException.ThrowIfNull(image);
        var parts = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var run = new CanonicalHash())
        {
            parts["run"] = run.Add("run", image.Run.Raw).Finish();
        }

        using (var hooks = new CanonicalHash())
        {
            parts["hooks"] = hooks.Add("hooks", image.Hooks, t => t.Raw).Finish();
        }

        using (var env = new CanonicalHash())
        {
            parts["env"] = env.Add("image.env", image.Env, t => t.Raw).Add("env", tier.Env, t => t.Raw).Finish();
        }

        using (var ports = new CanonicalHash())
        {
            foreach (var port in tier.Ports)
            {
                ports.Add("port", port.Name).Add("port.number", port.Port);
            }

            parts["ports"] = ports.Finish();
        }

        using var volumes = new CanonicalHash();
        foreach (var volume in tier.Volumes)
        {
            volumes.Add("volume", volume.Name).Add("volume.size", volume.SizeBytes)
                .Add("volume.mount", volume.Mount).Add("volume.restoreFrom", volume.RestoreFrom);
        }

        parts["volumes"] = volumes.Finish();
        if (ParametersPart(tier, image, parameters) is { } values)
        {
            // Only when read, so that the digests of tiers that read no parameter stay what they were.
            parts[ParametersPartName] = values;
        }

        return parts;
    }

    /// <summary>The launch part of the parameter values the launch templates read.</summary>
    public const string ParametersPartName = "params";

    private static string? ParametersPart(TierSpec tier, ImageSpec image, IReadOnlyDictionary<string, string>? parameters)
    {
        if (parameters is null)
        {
            return null;
        }

        // What a server is started with; the other hooks are resolved from the spec each time they run.
        var launched = image.Hooks.Where(h => h.Key == ImageSpec.ConfigureHook).Select(h => h.Value).Prepend(image.Run);
        var names = launched.Concat(image.Env.Values).Concat(tier.Env.Values)
            .SelectMany(TemplateReferences.Of)
            .Select(r => Reference.Parse(r.Expression)).OfType<ParameterReference>().Select(p => p.Name)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (names.Count == 0)
        {
            return null;
        }

        using var hash = new CanonicalHash();
        foreach (var name in names)
        {
            hash.Add("param", name).Add("param.value", parameters.GetValueOrDefault(name));
        }

        return hash.Finish();
    }

    /// <summary>
    /// Settings applied to running servers in place: health check, scaling, update policy, recovery, maximum age,
    /// deletion policy, backups, zones, placement and dependencies. The server count is compared on its own.
    /// </summary>
    public static string TierSettings(TierSpec tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        using var hash = new CanonicalHash();
        AddHealth(hash, "health", tier.Health);
        hash.Add("scaling", tier.Scaling.Count);
        foreach (var rule in tier.Scaling)
        {
            AddScaling(hash, rule);
        }

        var update = tier.Update;
        hash.Add("update.maxSurge", update.MaxSurge.ToString()).Add("update.maxUnavailable", update.MaxUnavailable.ToString())
            .Add("update.bake", update.Bake).Add("update.rollback", update.Rollback).Add("update.canary", update.Canary)
            .Add("recoveryDelay", tier.RecoveryDelay).Add("maxAge", tier.MaxAge)
            .Add("deletionPolicy", tier.DeletionPolicy.ToString())
            .Add("volumePolicies", string.Join(',', tier.Volumes.Select(v => $"{v.Name}={v.DeletionPolicy}")))
            .Add("backups", tier.Backups.Count);
        if (tier.MaxReplacing != TierSpec.DefaultMaxReplacing)
        {
            // Added only when set, so the digests of tiers written before the key existed do not change.
            hash.Add("maxReplacing", tier.MaxReplacing.ToString());
        }

        foreach (var backup in tier.Backups)
        {
            AddBackup(hash, backup);
        }

        if (tier.Placement is { } placement)
        {
            // Added only when set, like maxReplacing: new servers follow changed rules, the ones placed stay.
            hash.Add("placement", PlacementText(placement));
        }

        if (tier.Resources is { } resources)
        {
            // Added only when set, like placement: new servers reserve the new amounts, the ones placed keep theirs.
            hash.Add("resources", $"{resources.Cpu.ToString(System.Globalization.CultureInfo.InvariantCulture)}|{resources.MemoryBytes}");
        }

        return hash.Add("zones", string.Join(',', tier.Zones))
            .Add("dependsOn", string.Join(',', tier.DependsOn))
            .Finish();
    }

    /// <summary>Load balancer settings changed in place: algorithm, health check, TLS, stickiness, drain time and limits.</summary>
    public static string LoadBalancerSettings(LoadBalancerSpec loadBalancer)
    {
        ArgumentNullException.ThrowIfNull(loadBalancer);
        using var hash = new CanonicalHash();
        hash.Add("algorithm", loadBalancer.Algorithm.ToString());
        AddHealth(hash, "health", loadBalancer.Health);
        hash.Add("tls.certificate", loadBalancer.Tls?.Certificate).Add("tls.key", loadBalancer.Tls?.Key)
            .Add("sticky", loadBalancer.Sticky).Add("drainTimeout", loadBalancer.DrainTimeout);
        // Limits join the digest only when set, so load balancers created before they existed keep their digest.
        if (loadBalancer.MaxConnections != LoadBalancerSpec.DefaultMaxConnections)
        {
            hash.Add("maxConnections", loadBalancer.MaxConnections);
        }

        if (loadBalancer.ResponseHeaderTimeout != LoadBalancerSpec.DefaultResponseHeaderTimeout)
        {
            hash.Add("responseHeaderTimeout", loadBalancer.ResponseHeaderTimeout);
        }

        if (loadBalancer.MaxRequestBodyBytes != LoadBalancerSpec.DefaultMaxRequestBodyBytes)
        {
            hash.Add("maxRequestBody", loadBalancer.MaxRequestBodyBytes);
        }

        if (loadBalancer.Placement is { } placement)
        {
            hash.Add("placement", PlacementText(placement));
        }

        return hash.Finish();
    }

    private static string PlacementText(PlacementSpec placement) =>
        $"{string.Join(',', placement.Zones)}|{string.Join(',', placement.Regions)}|"
        + $"{string.Join(',', placement.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"))}|{placement.Spread}";

    /// <summary>
    /// The whole spec, including the content of its image folders, so that a saved plan can tell that either the
    /// file or an image changed since. Parameters are left out: they have their own <see cref="ParameterDigest"/>.
    /// </summary>
    /// <exception cref="ImageDigestException">An image folder cannot be read.</exception>
    public static string Deployment(DeploymentSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var digests = spec.Images.ToDictionary(
            i => i.Name, i => ImageDigest.Compute(Path.Combine(spec.BaseDirectory, i.From)), StringComparer.Ordinal);
        return Deployment(spec, digests);
    }

    /// <summary>The deployment digest with image digests already computed, by image name.</summary>
    public static string Deployment(DeploymentSpec spec, IReadOnlyDictionary<string, string> imageDigests)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(imageDigests);
        using var hash = new CanonicalHash();
        hash.Add("name", spec.Name).Add("provider", spec.Provider);
        foreach (var image in spec.Images)
        {
            hash.Add("image", image.Name).Add("image.from", image.From)
                .Add("image.digest", imageDigests.GetValueOrDefault(image.Name));
        }

        foreach (var tier in spec.Tiers)
        {
            var image = spec.FindImage(tier.Image);
            hash.Add("tier", tier.Name).Add("tier.image", tier.Image)
                .Add("tier.count", $"{tier.Servers.Min},{tier.Servers.Max},{tier.Servers.Desired}")
                .Add("tier.launch", image is null ? null : Launch(tier, image))
                .Add("tier.settings", TierSettings(tier));
        }

        foreach (var lb in spec.LoadBalancers)
        {
            hash.Add("lb", lb.Name).Add("lb.listen", lb.Listen).Add("lb.driver", lb.Driver)
                .Add("lb.target", $"{lb.TargetTier}:{lb.TargetPort}").Add("lb.settings", LoadBalancerSettings(lb));
        }

        AddRest(hash, spec);
        return hash.Finish();
    }

    private static void AddRest(CanonicalHash hash, DeploymentSpec spec)
    {
        foreach (var rule in spec.Firewall)
        {
            hash.Add("firewall", FirewallKey.Of(rule.From, rule.To, rule.Port, rule.Protocol));
        }

        foreach (var output in spec.Outputs)
        {
            hash.Add("output", output.Name).Add("output.value", output.Value.Raw);
        }

        foreach (var (name, store) in new[]
                 {
                     // storage.images is no longer accepted; its empty entry keeps the digests of existing deployments.
                     ("images", (StoreSpec?)null), ("backups", spec.Storage.Backups),
                     ("dr", spec.Storage.DisasterRecovery),
                 })
        {
            hash.Add($"storage.{name}", store?.Type);
            if (store is not null)
            {
                hash.Add($"storage.{name}.settings", store.Settings, t => t.Raw);
            }
        }
    }

    private static void AddHealth(CanonicalHash hash, string prefix, HealthCheckSpec? health)
    {
        hash.Add(prefix, health?.Kind.ToString());
        if (health is null)
        {
            return;
        }

        hash.Add($"{prefix}.path", health.Path).Add($"{prefix}.port", health.Port?.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Add($"{prefix}.command", health.Command?.Raw).Add($"{prefix}.interval", health.Interval)
            .Add($"{prefix}.timeout", health.Timeout).Add($"{prefix}.healthyAfter", health.HealthyAfter)
            .Add($"{prefix}.unhealthyAfter", health.UnhealthyAfter).Add($"{prefix}.grace", health.Grace);
    }

    private static void AddScaling(CanonicalHash hash, ScalingRuleSpec rule) =>
        hash.Add("scaling.kind", rule.Kind.ToString()).Add("scaling.metric", rule.Metric?.ToString())
            .Add("scaling.above", rule.Above).Add("scaling.below", rule.Below).Add("scaling.target", rule.Target)
            .Add("scaling.breach", rule.BreachPeriod).Add("scaling.cooldown", rule.Cooldown).Add("scaling.step", rule.Step)
            .Add("scaling.window", rule.StabilizationWindow).Add("scaling.cron", rule.Cron)
            .Add("scaling.schedule", $"{rule.ScheduleMin},{rule.ScheduleMax},{rule.ScheduleDesired}");

    private static void AddBackup(CanonicalHash hash, BackupPolicySpec backup) =>
        hash.Add("backup", backup.Name).Add("backup.kind", backup.Kind.ToString()).Add("backup.volume", backup.Volume)
            .Add("backup.every", backup.Every).Add("backup.cron", backup.Cron).Add("backup.keepLast", backup.KeepLast)
            .Add("backup.keepDaily", backup.KeepDaily).Add("backup.keepWeekly", backup.KeepWeekly)
            .Add("backup.key", backup.EncryptionKeyParameter).Add("backup.verifyEvery", backup.VerifyEvery);
}
