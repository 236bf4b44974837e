using System.Text;
using System.Text.Json;
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
/// /media/out/{token}: a file an agent attached, for the channel to fetch; the signed, expiring token is the access.
/// Both are served from this app's origin, so a file must never run as a page here: see <see cref="Serve"/>.
/// </summary>
public static class MediaEndpoints
{
    public static WebApplication MapMediaEndpoints(this WebApplication app)
    {
        app.MapGet("/media/{messageId:guid}", async (Guid messageId, HttpContext http, AppDbContext db, IMediaStore store, CancellationToken ct) =>
        {
            var visible = db.Conversations.VisibleToUser(db, http.User.GetUserId());
            var message = await db.Messages.AsNoTracking()
                .Where(m => m.Id == messageId && m.MediaState == MediaState.Stored && visible.Any(c => c.Id == m.ConversationId))
                .Select(m => new { m.TenantId, m.MediaContentType, m.Payload })
                .SingleOrDefaultAsync(ct);
            var file = message is null ? null : store.Open(message.TenantId, messageId);
            return file is null ? Results.NotFound() : Serve(http, file, message!.MediaContentType, FileNameIn(message.Payload), messageId);
        }).RequireAuthorization(Policies.Member).ExcludeFromDescription();

        app.MapGet("/media/out/{token}", (string token, HttpContext http, Infrastructure.Inbox.OutboundMediaLinks links, IMediaStore store) =>
        {
            var found = links.Read(token);
            var file = found is { } f ? store.Open(f.TenantId, f.Key) : null;
            return file is null ? Results.NotFound() : Serve(http, file, found!.Value.ContentType, null, found.Value.Key);
        }).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    /// <summary>
    /// The same headers for every stored file, whatever it claims to be: the type is the one decided from the bytes
    /// (anything this app would not have decided, e.g. from a row stored before sniffing, goes as octet-stream);
    /// nosniff so the browser keeps it; a sandboxing CSP so even a document rendered in place cannot run script or
    /// reach anything; and a download, not a page, for anything but raster images, audio, video and PDF.
    /// </summary>
    public static IResult Serve(HttpContext http, Stream file, string? storedType, string? fileName, Guid key)
    {
        var stored = storedType?.Split(';')[0].Trim().ToLowerInvariant();
        var type = stored is not null && MediaTypes.IsKnown(stored) ? stored : "application/octet-stream";
        var headers = http.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        headers.CacheControl = "private, no-store";
        if (MediaTypes.IsInlineSafe(type)) return Results.Stream(file, type, enableRangeProcessing: true);
        // Results.Stream with a download name writes Content-Disposition: attachment (with an RFC 5987 filename*).
        return Results.Stream(file, type, SafeFileName(fileName, key, type), enableRangeProcessing: true);
    }

    /// <summary>Letters, digits, dot, dash, underscore and space only, and the extension of the decided type.</summary>
    public static string SafeFileName(string? requested, Guid key, string type)
    {
        var stem = Path.GetFileNameWithoutExtension(requested ?? "");
        var clean = new StringBuilder();
        foreach (var c in stem.Normalize(NormalizationForm.FormC))
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_' or ' ' or '.') clean.Append(c);
            if (clean.Length >= 80) break;
        }
        var name = clean.ToString().Trim(' ', '.');
        return (name.Length == 0 ? $"media-{key:N}" : name) + MediaTypes.Extension(type);
    }

    /// <summary>The name the sender gave the file, if the payload kept one (only a hint for the download name).</summary>
    private static string? FileNameIn(string? payload)
    {
        if (payload is null) return null;
        try
        {
            using var doc = JsonDocument.Parse(payload);
            return At(doc.RootElement, "media", "fileName") ?? At(doc.RootElement, "document", "filename") ?? At(doc.RootElement, "content", "media", "fileName");
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? At(JsonElement node, params string[] path)
    {
        foreach (var step in path)
        {
            if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(step, out node)) return null;
        }
        return node.ValueKind == JsonValueKind.String ? node.GetString() : null;
    }
}
