using System.Diagnostics;
using Strata.Backups;
using Strata.Backups.Snapshots;
using Strata.Storage;
using Strata.Storage.FileSystem;
using Strata.Storage.S3;

// Usage: snapshot STORE FOLDER KEY | restore STORE ID TARGET KEY
// STORE is a folder (filesystem store) or s3:URL/BUCKET (an S3-compatible server, keys from AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY), as restic names its repositories.
// Prints one line: "<id> <seconds> <bytes read> <bytes uploaded>" (snapshot) or "<seconds>" (restore).
if (args is not ["snapshot", _, _, _] and not ["restore", _, _, _, _])
{
    Console.Error.WriteLine("usage: snapshot STORE FOLDER KEY | restore STORE ID TARGET KEY");
    return 2;
}

var store = OpenStore(args[1]);
using var disposable = store as IDisposable;
var engine = new SnapshotEngine(store);
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

static IObjectStore OpenStore(string location)
{
    if (!location.StartsWith("s3:", StringComparison.Ordinal))
    {
        return ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = location });
    }

    var url = new Uri(location["s3:".Length..]);
    return ObjectStores.CreateS3(new S3ObjectStoreOptions
    {
        ServiceUrl = url.GetLeftPart(UriPartial.Authority),
        Bucket = url.AbsolutePath.Trim('/'),
        AccessKey = Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID") ?? "",
        SecretKey = Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY") ?? "",
    });
}
