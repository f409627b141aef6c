using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Common.Files;
using Strata.ControlPlane.Hosting;

namespace Strata.ControlPlane.Backups;

/// <summary>
/// A private folder under the Strata home for a backup file or a copy of a volume in transit; deleted with everything
/// in it.
/// </summary>
internal sealed class ScratchFolder : IDisposable
{
    private const string Prefix = "backup-";

    public ScratchFolder(string home)
    {
        Path = System.IO.Path.Combine(FolderOf(home), $"{Prefix}{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    // A copy of a volume may hold folders whose modes forbid deleting what is in them.
    public void Dispose() => FolderTree.Delete(Path);

    /// <summary>
    /// Deletes the scratch folders a control plane that was killed or crashed in the middle of a backup, restore or
    /// copy left behind (a copy of a volume can be as large as the volume); only before any of those can start.
    /// </summary>
    /// <returns>Each leftover, with why it could not be deleted (null when it was).</returns>
    public static IReadOnlyList<(string Path, Exception? Error)> DeleteLeftovers(string home)
    {
        var folder = FolderOf(home);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var leftovers = new List<(string, Exception?)>();
        foreach (var leftover in Directory.GetDirectories(folder, Prefix + "*"))
        {
            try
            {
                FolderTree.Delete(leftover);
                leftovers.Add((leftover, null));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Left for the next start; the others are deleted still.
                leftovers.Add((leftover, ex));
            }
        }

        return leftovers;
    }

    private static string FolderOf(string home) => System.IO.Path.Combine(home, "tmp");
}

/// <summary>Deletes the scratch folders of an earlier run of the control plane when it starts.</summary>
internal sealed partial class ScratchFolderSweep(IOptions<ControlPlaneOptions> options, ILogger<ScratchFolderSweep> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // A folder that cannot be deleted now must not keep the control plane down.
        foreach (var (leftover, error) in ScratchFolder.DeleteLeftovers(options.Value.Paths.Root))
        {
            if (error is null)
            {
                LogDeleted(logger, leftover);
            }
            else
            {
                LogNotDeleted(logger, error, leftover);
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 430, Level = LogLevel.Information, Message = "Deleted {Folder}, left by an earlier run in the middle of a backup, restore or copy")]
    private static partial void LogDeleted(ILogger logger, string folder);

    [LoggerMessage(EventId = 431, Level = LogLevel.Warning, Message = "Could not delete {Folder}, left by an earlier run; it is tried again at the next start")]
    private static partial void LogNotDeleted(ILogger logger, Exception exception, string folder);
}
