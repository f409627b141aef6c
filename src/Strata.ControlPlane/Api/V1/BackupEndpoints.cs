using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Strata.Api.Contracts;
using Strata.Backups.Snapshots;
using Strata.ControlPlane.Access;
using Strata.ControlPlane.Backups;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Drills;
using Strata.ControlPlane.Reconciliation;
using Strata.Storage;

namespace Strata.ControlPlane.Api.V1;

/// <summary>
/// Backups, restores and restore drills under <c>/api/v1/deployments/{name}</c>. Bad requests are answered with a
/// problem before anything starts; long operations answer NDJSON <see cref="BackupStreamLine"/>s as they go.
/// </summary>
public static class BackupEndpoints
{
    public static RouteGroupBuilder MapStrataBackupsApiV1(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1/deployments/{name}");
        api.MapGet("/backups", ListAsync).RequireRole(TokenRole.Viewer);
        api.MapPost("/backups", RunAsync).RequireRole(TokenRole.Operator);
        api.MapPost("/backups/verify", VerifyAsync).RequireRole(TokenRole.Operator);
        api.MapPost("/restore", RestoreAsync).RequireRole(TokenRole.Operator);
        api.MapPost("/drills/region", DrillRegionAsync).RequireRole(TokenRole.Operator);
        return api;
    }

    private static async Task<IResult> ListAsync(string name, DeploymentRegistry registry, BackupListing listing, CancellationToken ct)
    {
        var backups = await listing.ListAsync(Find(registry, name), ct).ConfigureAwait(false);
        return Results.Json(new BackupListDto([.. backups.Select(ToDto)]), BackupJsonContext.Default.BackupListDto);
    }

    private static async Task RunAsync(
        string name, string? tier, string? policy, HttpContext context, DeploymentRegistry registry, BackupRunner runner, TimeProvider time, CancellationToken ct)
    {
        var runtime = Find(registry, name);
        var policies = BackupPolicies.Select(runtime, tier, policy);
        await StreamAsync(context, async write =>
        {
            var progress = new ThrottledProgress(p => write(new BackupStreamLine
            {
                Type = "progress",
                Progress = new BackupProgressDto(p.FilesRead, p.BytesRead, p.ChunksUploaded, p.ChunksReused, p.BytesUploaded),
            }), time);
            IReadOnlyList<BackupOutcome>? outcomes = null;
            BackupRunFailedException? failed = null;
            try
            {
                outcomes = await runner.RunAsync(runtime, policies, progress, async waiting =>
                {
                    // After the progress of the policy before, so the stream tells them in order.
                    await progress.FlushAsync().ConfigureAwait(false);
                    await write(new BackupStreamLine { Type = "waiting", Waiting = waiting }).ConfigureAwait(false);
                }, ct).ConfigureAwait(false);
            }
            catch (BackupRunFailedException ex)
            {
                failed = ex;
            }
            finally
            {
                // The last progress line comes before the results, and no write of it outlives the request.
                await progress.FlushAsync().ConfigureAwait(false);
            }

            foreach (var outcome in outcomes ?? failed!.Completed)
            {
                await write(BackupLine(outcome)).ConfigureAwait(false);
            }

            if (failed is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed);
            }
        }, ct).ConfigureAwait(false);
    }

    private static async Task VerifyAsync(string name, string? tier, string? policy, HttpContext context, DeploymentRegistry registry, RestoreDrill drill, CancellationToken ct)
    {
        var runtime = Find(registry, name);
        var policies = BackupPolicies.Select(runtime, tier, policy);
        await StreamAsync(context, async write =>
        {
            foreach (var selected in policies)
            {
                var outcome = await drill.RunAsync(runtime, selected, ct).ConfigureAwait(false);
                await write(new BackupStreamLine
                {
                    Type = "drill",
                    Drill = new DrillResultDto(outcome.Tier, outcome.Policy, outcome.Kind, outcome.BackupId, outcome.Passed, outcome.RestoreDuration.TotalSeconds, outcome.Message),
                }).ConfigureAwait(false);
            }
        }, ct).ConfigureAwait(false);
    }

    private static async Task DrillRegionAsync(string name, string? region, HttpContext context, DeploymentRegistry registry, RegionDrill drill, CancellationToken ct)
    {
        var runtime = Find(registry, name);
        if (string.IsNullOrWhiteSpace(region))
        {
            throw new BadHttpRequestException("the region to do without is required: ?region=R");
        }

        // Said as a problem before the stream starts: a region no host is in is a mistake, not a failed drill.
        await drill.CheckAsync(runtime, region, ct).ConfigureAwait(false);
        if (drill.IsRunning)
        {
            throw new ConflictException("a region drill is under way; one runs at a time");
        }

        await StreamAsync(context, async write =>
        {
            var outcome = await drill.RunAsync(runtime, region, step => write(new BackupStreamLine { Type = "step", Step = step }), ct).ConfigureAwait(false);
            await write(new BackupStreamLine { Type = "regionDrill", RegionDrill = RegionDrillLine(name, outcome) }).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
    }

    private static RegionDrillResultDto RegionDrillLine(string deployment, RegionDrillOutcome outcome) => new()
    {
        Deployment = deployment,
        Region = outcome.Region,
        Passed = outcome.Passed,
        Message = outcome.Message,
        RecoveryTimeSeconds = outcome.RecoveryTime is { } rto ? Math.Round(rto.TotalSeconds, 2) : null,
        RecoveryPointSeconds = outcome.RecoveryPoint is { } rpo ? Math.Round(rpo.TotalSeconds, 1) : null,
        Servers = [.. outcome.Servers.Select(s => new RegionDrillServerDto(s.Tier, s.Name, s.Host, s.Zone, s.Region, s.Address, Math.Round(s.HealthyAfter.TotalSeconds, 2)))],
        Volumes = [.. outcome.Volumes.Select(v => new RegionDrillVolumeDto(v.Tier, v.Volume, v.Server, v.Snapshot, v.TakenAt))],
        LoadBalancers = [.. outcome.LoadBalancers.Select(l => new RegionDrillLoadBalancerDto(l.Name, l.Url, l.Host, l.StatusCode))],
    };

    private static async Task RestoreAsync(string name, HttpContext context, DeploymentRegistry registry, BackupRestorer restorer, CancellationToken ct)
    {
        var runtime = Find(registry, name);
        RestoreRequest? body;
        try
        {
            body = await context.Request.ReadFromJsonAsync(BackupJsonContext.Default.RestoreRequest, ct).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            throw new BadHttpRequestException($"the body is not a valid restore request: {ex.Message}");
        }

        if (body is null || (body.Snapshot is null) == (body.Backup is null) || body.From is not (null or "primary" or "dr"))
        {
            throw new BadHttpRequestException("a body { \"tier\": T, \"snapshot\": ID | \"backup\": ID, \"from\": \"primary\" | \"dr\" } is required");
        }

        if (runtime.Desired.Spec.FindTier(body.Tier) is null)
        {
            throw new NotFoundException($"deployment {name} has no tier '{body.Tier}'");
        }

        await StreamAsync(context, async write =>
        {
            var outcome = await restorer.RestoreAsync(runtime, new RestoreSelection(body.Tier, body.Snapshot, body.Backup, body.From == "dr", body.FromDeployment), ct).ConfigureAwait(false);
            await write(new BackupStreamLine
            {
                Type = "restore",
                Restore = new RestoreResultDto(outcome.Tier, outcome.Kind, outcome.Id, outcome.Store, outcome.Server, outcome.Duration.TotalSeconds),
            }).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
    }

    private static DeploymentRuntime Find(DeploymentRegistry registry, string name) =>
        registry.Find(name) is { IsDeleting: false } runtime ? runtime : throw new NotFoundException($"deployment '{name}' does not exist");

    /// <summary>Streams lines from <paramref name="body"/>; a failure once streaming has begun becomes an <c>error</c> line.</summary>
    private static async Task StreamAsync(HttpContext context, Func<Func<BackupStreamLine, Task>, Task> body, CancellationToken ct)
    {
        context.Response.ContentType = "application/x-ndjson";
        var gate = new SemaphoreSlim(1, 1);
        async Task WriteAsync(BackupStreamLine line)
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                await context.Response.WriteAsync(JsonSerializer.Serialize(line, BackupJsonContext.Default.BackupStreamLine) + "\n", ct).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }

        try
        {
            var retries = new StoreRetryLines(WriteAsync, context.RequestServices.GetRequiredService<TimeProvider>());
            try
            {
                using (ObjectStoreRetries.Observe(retries.ObserveAsync))
                {
                    await body(WriteAsync).ConfigureAwait(false);
                }
            }
            finally
            {
                await retries.CloseAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (BackupRunner.IsBackupFailure(ex) || ex is BackupRunFailedException or NotFoundException or ArgumentException or ConflictException or Providers.ProviderException)
        {
            await WriteAsync(new BackupStreamLine { Type = "error", Error = ex.Message }).ConfigureAwait(false);
        }
    }

    private static BackupStreamLine BackupLine(BackupOutcome outcome) => new()
    {
        Type = "backup",
        Backup = new BackupDto
        {
            Id = outcome.Id, Kind = outcome.Kind, Tier = outcome.Tier, Policy = outcome.Policy, Volume = outcome.Volume, Server = outcome.Server,
            Image = outcome.Image, Created = outcome.Created, Bytes = outcome.Bytes, Sha256 = outcome.Sha256, Encrypted = outcome.Encrypted, Stores = ["primary"],
        },
    };

    private static BackupDto ToDto(StoredBackup b) => new()
    {
        Id = b.Id, Kind = b.Kind, Tier = b.Tier, Policy = b.Policy, Volume = b.Volume, Server = b.Server, Image = b.Image, Created = b.Created,
        Bytes = b.Bytes, Sha256 = b.Sha256, Encrypted = b.Encrypted,
        Stores = [.. new[] { b.InPrimary ? "primary" : null, b.InDisasterRecovery ? "dr" : null }.OfType<string>()],
    };
}
