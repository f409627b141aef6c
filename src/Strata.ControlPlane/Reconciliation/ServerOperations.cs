using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Strata.ControlPlane.Events;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// The launches and terminations under way, one per server name, each a background task: a reconcile pass starts
/// them and moves on, never waiting for a process. A server with an operation has an owner; the next pass leaves it
/// alone. An operation that throws is logged and reported as a <c>server.error</c> event, and every operation that
/// ends asks for another pass.
/// </summary>
public sealed partial class ServerOperations(EventLog events, ReconcileTriggers triggers, ILogger<ServerOperations> logger)
{
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);

    /// <summary>True while a launch or termination of the server is under way: it has an owner.</summary>
    public bool IsBusy(string server) => _running.ContainsKey(server);

    /// <summary>Runs <paramref name="operation"/> in the background as the server's operation.</summary>
    public void Start(DeploymentRuntime runtime, string server, Func<Task> operation)
    {
        var task = Task.Run(async () =>
        {
            try
            {
                await operation().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogOperationFailed(logger, ex, server);
                await events.PublishAsync(runtime.Name, EventKinds.ServerError, ex.Message, new EventSubject { Resource = server, Server = server }, EventSeverity.Error).ConfigureAwait(false);
            }
            finally
            {
                _running.TryRemove(server, out _);
                triggers.Now(runtime.Name);
            }
        });
        _running.TryAdd(server, task);
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "Operation on {Resource} failed")]
    private static partial void LogOperationFailed(ILogger logger, Exception exception, string resource);
}
