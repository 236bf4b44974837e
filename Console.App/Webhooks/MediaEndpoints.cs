using Microsoft.EntityFrameworkCore;
using OperatorConsole.App.Auth;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Inbox;
using OperatorConsole.Infrastructure.Media;

namespace OperatorConsole.App.Webhooks;

/// <summary>
/// /media/{messageId}: a customer's photo, voice note or document, only for signed-in members of the message's
/// tenant. The lookup runs in the member's tenant context, so another tenant's message is simply not found.
/// </summary>
public static class MediaEndpoints
{
    public static WebApplication MapMediaEndpoints(this WebApplication app)
    {
        app.MapGet("/media/{messageId:guid}", async (Guid messageId, System.Security.Claims.ClaimsPrincipal user, AppDbContext db, IMediaStore store,
            CancellationToken ct) =>
        {
            var visible = db.Conversations.VisibleToUser(db, user.GetUserId());
            var message = await db.Messages.AsNoTracking()
                .Where(m => m.Id == messageId && m.MediaState == MediaState.Stored && visible.Any(c => c.Id == m.ConversationId))
                .Select(m => new { m.TenantId, m.MediaContentType })
                .SingleOrDefaultAsync(ct);
            var file = message is null ? null : store.Open(message.TenantId, messageId);
            return file is null
                ? Results.NotFound()
                : Results.Stream(file, message!.MediaContentType ?? "application/octet-stream", enableRangeProcessing: true);
        }).RequireAuthorization(Policies.Member).ExcludeFromDescription();

        // Files agents attach, fetched by the channel (Meta downloads the link itself): the signed token is the access.
        app.MapGet("/media/out/{token}", (string token, Infrastructure.Inbox.OutboundMediaLinks links, IMediaStore store) =>
        {
            var file = links.Read(token) is { } found ? (found, store.Open(found.TenantId, found.Key)) : (default, null);
            return file.Item2 is null ? Results.NotFound() : Results.Stream(file.Item2, file.found.ContentType, enableRangeProcessing: true);
        }).AllowAnonymous().ExcludeFromDescription();
        return app;
    }
}
