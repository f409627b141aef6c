using System.Diagnostics;
using Strata.Backups;
using Strata.Backups.Snapshots;
using Strata.Storage;
using Strata.Storage.FileSystem;

// Usage: snapshot STORE FOLDER KEY | restore STORE ID TARGET KEY
// Prints one line: "<id> <seconds> <bytes read> <bytes uploaded>" (snapshot) or "<seconds>" (restore).
if (args is not ["snapshot", _, _, _] and not ["restore", _, _, _, _])
{
    Console.Error.WriteLine("usage: snapshot STORE FOLDER KEY | restore STORE ID TARGET KEY");
    return 2;
}

var engine = new SnapshotEngine(ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = args[1] }));
var clock = Stopwatch.StartNew();
if (args[0] == "snapshot")
{
    var result = await engine.SnapshotAsync(new SnapshotRequest(args[2], "bench", "db", "bench-db-1", "data", args[3]));
    Console.WriteLine($"{result.Manifest.Id} {clock.Elapsed.TotalSeconds:0.000} {result.BytesRead} {result.BytesUploaded}");
}
else
{
    await engine.RestoreAsync(args[2], args[3], args[4]);
    Console.WriteLine($"{clock.Elapsed.TotalSeconds:0.000}");
}

if (StageTimes.Enabled)
{
    Console.Error.WriteLine($"stages {args[0]}: {StageTimes.Describe()}");
}

return 0;
