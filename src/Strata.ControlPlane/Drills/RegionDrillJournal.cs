using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Strata.ControlPlane.Hosting;

namespace Strata.ControlPlane.Drills;

/// <summary>What one region drill started, by id: written down before each is started.</summary>
public sealed record RegionDrillRecord
{
    /// <summary>This drill's own id: two drills of one deployment (one interrupted, one under way) are told apart by it.</summary>
    public required string Id { get; init; }

    /// <summary>The scratch deployment, <c>&lt;deployment&gt;-region-drill</c>.</summary>
    public required string Deployment { get; init; }

    public IReadOnlyList<string> Servers { get; init; } = [];

    public IReadOnlyList<string> Volumes { get; init; } = [];

    public IReadOnlyList<ScratchLoadBalancer> LoadBalancers { get; init; } = [];

    [JsonIgnore]
    public bool IsEmpty => Servers.Count == 0 && Volumes.Count == 0 && LoadBalancers.Count == 0;
}

/// <summary>A scratch load balancer: its driver, the host it runs on (null: the control plane's machine) and its id.</summary>
public sealed record ScratchLoadBalancer(string Driver, string? Host, string Id);

/// <summary>
/// The scratch resources of region drills, one file each under <c>$STRATA_HOME/drills</c>, written before anything of a
/// drill is started and removed once all of it is gone. What a drill interrupted by a stop of the control plane left is
/// found there, exactly, and nothing else is ever taken for it, whatever the deployments are called. The drills under
/// way are also known here, so that a host's fencing keeps their servers and load balancers.
/// </summary>
public sealed class RegionDrillJournal(IOptions<ControlPlaneOptions> options)
{
    private readonly ConcurrentDictionary<string, RegionDrillRecord> _active = new(StringComparer.Ordinal);
    private readonly Lock _files = new();

    private string Folder => Path.Combine(options.Value.Paths.Root, "drills");

    /// <summary>The servers of the drills under way: a host's fencing keeps them.</summary>
    public IEnumerable<string> ActiveServers => _active.Values.SelectMany(r => r.Servers);

    /// <summary>The load balancers of the drills under way on <paramref name="host"/>: its fencing keeps them.</summary>
    public IEnumerable<string> ActiveLoadBalancersOn(string host) => _active.Values.SelectMany(r => r.LoadBalancers).Where(l => l.Host == host).Select(l => l.Id);

    /// <summary>Records what a drill under way has started so far (or, with <paramref name="active"/> false, what is left of a finished one).</summary>
    public void Write(RegionDrillRecord record, bool active)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (active)
        {
            _active[record.Id] = record;
        }
        else
        {
            _active.TryRemove(record.Id, out _);
        }

        lock (_files)
        {
            var path = PathOf(record);
            if (record.IsEmpty && !active)
            {
                File.Delete(path);
                return;
            }

            Directory.CreateDirectory(Folder);
            var temporary = path + ".tmp";
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
            {
                JsonSerializer.Serialize(file, record, DrillJournalJsonContext.Default.RegionDrillRecord);

                // On the disk before anything it names is started: a power cut must not lose what is running.
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
    }

    /// <summary>The records of drills that are not under way: what they left behind.</summary>
    public IReadOnlyList<RegionDrillRecord> Leftovers()
    {
        lock (_files)
        {
            if (!Directory.Exists(Folder))
            {
                return [];
            }

            var records = new List<RegionDrillRecord>();
            foreach (var file in Directory.GetFiles(Folder, "*.json"))
            {
                try
                {
                    if (JsonSerializer.Deserialize(File.ReadAllText(file), DrillJournalJsonContext.Default.RegionDrillRecord) is { } record && !_active.ContainsKey(record.Id))
                    {
                        records.Add(record);
                    }
                }
                catch (JsonException)
                {
                    // Cut short by a crash in the middle of its first write: nothing was started after it.
                    File.Delete(file);
                }
            }

            return records;
        }
    }

    private string PathOf(RegionDrillRecord record) => Path.Combine(Folder, $"{record.Deployment}-{record.Id}.json");
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(RegionDrillRecord))]
internal sealed partial class DrillJournalJsonContext : JsonSerializerContext;
