using Microsoft.EntityFrameworkCore;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Identity;

/// <summary>A person's own settings, kept on their user so they follow them to every device and workspace.</summary>
public sealed class UserPreferences(ContextScopes scopes)
{
    public async Task<bool> SendWithCtrlEnterAsync(Guid userId, CancellationToken ct = default)
    {
        await using var work = scopes.ForUser(userId);
        return await work.Db.Users.Where(u => u.Id == userId).Select(u => u.SendWithCtrlEnter).SingleOrDefaultAsync(ct);
    }

    public async Task SetSendWithCtrlEnterAsync(Guid userId, bool value, CancellationToken ct = default)
    {
        await using var work = scopes.ForUser(userId);
        // One statement: the security stamp and concurrency stamp stay as they are, so no session is signed out.
        await work.Db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.SendWithCtrlEnter, value), ct);
    }
}
