using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Reminders;

public sealed record ReminderSettingsView(IReadOnlyList<int> OffsetsMinutes, string? TemplateName, string? TemplateLanguage, string? Address);

/// <summary>Reads and saves a workspace's reminder settings (defaults until someone saves them).</summary>
public sealed class ReminderSettingsStore(ContextScopes scopes, TimeProvider clock)
{
    public async Task<ReminderSettingsView> GetAsync(Guid tenantId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var row = await work.Db.ReminderSettings.AsNoTracking().SingleOrDefaultAsync(r => r.TenantId == tenantId, ct);
        return row is null ? new ReminderSettingsView(ReminderSettings.DefaultOffsets, null, null, null) : View(row);
    }

    /// <summary>Applies to appointments booked or moved from now on; reminders already planned keep their times.</summary>
    public async Task<ReminderSettingsView> SaveAsync(Guid tenantId, IReadOnlyCollection<int>? offsetsMinutes, string? templateName,
        string? templateLanguage, string? address, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var now = clock.GetUtcNow();
        var row = await work.Db.ReminderSettings.SingleOrDefaultAsync(r => r.TenantId == tenantId, ct);
        if (row is null)
        {
            row = ReminderSettings.Create(tenantId, now);
            work.Db.ReminderSettings.Add(row);
        }
        row.Update(offsetsMinutes, templateName, templateLanguage, address, now);
        await work.Db.SaveChangesAsync(ct);
        return View(row);
    }

    private static ReminderSettingsView View(ReminderSettings r) => new(r.OffsetsMinutes, r.TemplateName, r.TemplateLanguage, r.Address);
}
