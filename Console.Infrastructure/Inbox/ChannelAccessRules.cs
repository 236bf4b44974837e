using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Data;

namespace OperatorConsole.Infrastructure.Inbox;

/// <summary>
/// The one rule for per-channel access, used by the inbox list, opening a conversation, every command, the hub and
/// /media: a member with <c>channel_access</c> rows works only the conversations of those channels; a member without
/// rows works every channel. Callers that are not a member (API keys, which are tenant-wide; background work) pass
/// null and see the whole tenant. A conversation outside the member's channels answers exactly like one that does not
/// exist.
/// </summary>
public static class ChannelAccessRules
{
    public static IQueryable<Conversation> VisibleTo(this IQueryable<Conversation> conversations, AppDbContext db, Guid? memberId)
    {
        if (memberId is not { } member) return conversations;
        var access = db.ChannelAccess.Where(a => a.MemberId == member);
        return conversations.Where(c => !access.Any() || access.Any(a => a.ChannelId == c.ChannelId));
    }

    /// <summary>The same rule for a signed-in user (the hub, /media): their membership in the scope's tenant decides.</summary>
    public static IQueryable<Conversation> VisibleToUser(this IQueryable<Conversation> conversations, AppDbContext db, Guid? userId)
    {
        if (userId is not { } user) return conversations;
        var members = db.TenantMembers.Where(m => m.UserId == user).Select(m => m.Id);
        var access = db.ChannelAccess.Where(a => members.Contains(a.MemberId));
        return conversations.Where(c => !access.Any() || access.Any(a => a.ChannelId == c.ChannelId));
    }

    /// <summary>The channels a user may work in the scope's tenant, or null when they work every channel.</summary>
    public static async Task<IReadOnlyList<Guid>?> ChannelsOfUserAsync(AppDbContext db, Guid userId, CancellationToken ct = default)
    {
        var channels = await (from a in db.ChannelAccess
                              join m in db.TenantMembers on a.MemberId equals m.Id
                              where m.UserId == userId
                              select a.ChannelId).Distinct().ToListAsync(ct);
        return channels.Count == 0 ? null : channels;
    }
}
