using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Platform;

/// <summary>Writes platform events for the command center. A failure to record is logged, never thrown at the caller.</summary>
public sealed class SystemEventWriter(ContextScopes scopes, TimeProvider clock, ILogger<SystemEventWriter> log)
{
    public async Task WriteAsync(Severity severity, string source, TextRef message, Guid? tenantId = null, string? details = null,
        CancellationToken ct = default)
    {
        try
        {
            await using var work = scopes.ForSystem("system event");
            Stage(work.Db, severity, source, message, tenantId, details);
            await work.Db.SaveChangesAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogError(ex, "Could not record system event {Source}: {Message}", source, message.English);
        }
    }

    /// <summary>
    /// Adds the event to <paramref name="db"/>'s pending changes, so it commits with the change it reports (or not at all):
    /// an alert about an outcome can then never be lost between the outcome's commit and its own. The context must be
    /// the platform's, or the event's tenant's.
    /// </summary>
    public void Stage(AppDbContext db, Severity severity, string source, TextRef message, Guid? tenantId = null, string? details = null)
    {
        log.Log(ToLogLevel(severity), "SystemEvent {Source}: {Message} (tenant {TenantId})", source, message.English, tenantId);
        db.SystemEvents.Add(SystemEvent.Create(severity, source, message, tenantId, details, clock.GetUtcNow()));
    }

    private static LogLevel ToLogLevel(Severity severity) => severity switch
    {
        Severity.Debug => LogLevel.Debug,
        Severity.Info => LogLevel.Information,
        Severity.Warning => LogLevel.Warning,
        Severity.Error => LogLevel.Error,
        _ => LogLevel.Critical,
    };
}
