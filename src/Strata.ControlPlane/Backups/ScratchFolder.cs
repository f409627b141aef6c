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
    /// <returns>The paths deleted.</returns>
    public static IReadOnlyList<string> DeleteLeftovers(string home)
    {
        var folder = FolderOf(home);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var leftovers = Directory.GetDirectories(folder, Prefix + "*");
        foreach (var leftover in leftovers)
        {
            FolderTree.Delete(leftover);
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
        try
        {
            foreach (var leftover in ScratchFolder.DeleteLeftovers(options.Value.Paths.Root))
            {
                LogDeleted(logger, leftover);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the next start: a folder that cannot be deleted now must not keep the control plane down.
            LogNotDeleted(logger, ex);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 430, Level = LogLevel.Information, Message = "Deleted {Folder}, left by an earlier run in the middle of a backup, restore or copy")]
    private static partial void LogDeleted(ILogger logger, string folder);

    [LoggerMessage(EventId = 431, Level = LogLevel.Warning, Message = "Scratch folders left by an earlier run could not all be deleted")]
    private static partial void LogNotDeleted(ILogger logger, Exception exception);
}
