using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Media;
using OperatorConsole.Infrastructure.Tenancy;
using OperatorConsole.Infrastructure.Tenants;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>Who changes the agent's files (audited under this name).</summary>
public sealed record FilesActor(Guid TenantId, Guid? UserId, string Name);

public sealed record AgentFileView(Guid Id, string Name, string? Description, IReadOnlyList<string> TriggerWords, string Kind, string? FileName,
    string? ContentType, long? SizeBytes, bool Stored, DateTimeOffset CreatedAt);

/// <summary>Upload, bytes, size and type rules for an uploaded file.</summary>
public sealed record FileUpload(string Name, string? Description, IReadOnlyList<string> TriggerWords, string FileName, Stream Content);

/// <summary>
/// The files the agent may send (<c>send_file</c>): an owner uploads them with a name, a description and trigger
/// words, or removes them; every change is audited. The bytes live in the media store under the file's id, and each
/// send gets a fresh signed, expiring link to them (the channel downloads it without our cookies). Also the tenant's
/// switch for describing customers' images, which sits with the other things the agent is given.
/// </summary>
public sealed class AgentFiles(ContextScopes scopes, IMediaStore store, IOptionsMonitor<MediaOptions> media, AgentProfiles profiles, TimeProvider clock)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<IReadOnlyList<AgentFileView>> ListAsync(Guid tenantId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var files = await work.Db.AgentFiles.AsNoTracking().OrderBy(f => f.Name).ToListAsync(ct);
        return files.Select(View).ToList();
    }

    public async Task<AgentFileView> UploadAsync(FilesActor actor, FileUpload upload, CancellationToken ct = default)
    {
        var maxBytes = media.CurrentValue.MaxUploadBytes;
        var head = await CappedStream.ReadHeadAsync(upload.Content, MediaTypes.SampleSize, ct);
        // The bytes decide the type (never the browser or the extension), and markup is never accepted: the link is
        // served from this app's origin.
        var contentType = MediaTypes.Detect(head, MimeFromName(upload.FileName)) is { } sniffed
                          && sniffed is not "application/vnd.ms-office" and not "application/zip"
            ? sniffed
            : throw new DomainException("media.type", "This kind of file cannot be sent: use an image (JPEG, PNG, WebP), audio, video (MP4), PDF, an Office document or plain text.");
        var now = clock.GetUtcNow();
        var counted = new CappedStream(head, upload.Content, maxBytes);
        // Validated before the bytes are kept, so a bad name leaves no file behind.
        var file = AgentFile.Upload(actor.TenantId, upload.Name, upload.Description, upload.TriggerWords, upload.FileName, contentType, 0, now);
        long size;
        try
        {
            await store.SaveAsync(actor.TenantId, file.Id, counted, ct);
            size = counted.Position;
        }
        catch (MediaRefusedException)
        {
            throw new DomainException("media.size", $"The file is larger than {maxBytes / (1024 * 1024)} MB.", maxBytes / (1024 * 1024));
        }
        file = AgentFile.Upload(actor.TenantId, upload.Name, upload.Description, upload.TriggerWords, upload.FileName, contentType, size, now, file.Id);
        await using var work = scopes.ForTenant(actor.TenantId, actor.UserId);
        work.Db.AgentFiles.Add(file);
        work.Db.AuditEntries.Add(AuditEntry.Change(actor.TenantId, actor.UserId, actor.Name, "agent_file.uploaded", nameof(AgentFile),
            file.Id.ToString(), null, Snapshot(file), now, file.Name));
        try
        {
            await work.Db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            store.Delete(actor.TenantId, file.Id);
            throw new ConflictException("file.duplicate", "There is already a file named {0}.", file.Name);
        }
        profiles.Forget(actor.TenantId); // the prompt lists the files: the next turn sees the new one
        return View(file);
    }

    public async Task<bool> DeleteAsync(FilesActor actor, Guid id, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(actor.TenantId, actor.UserId);
        var file = await work.Db.AgentFiles.SingleOrDefaultAsync(f => f.Id == id, ct);
        if (file is null) return false;
        work.Db.AgentFiles.Remove(file);
        work.Db.AuditEntries.Add(AuditEntry.Change(actor.TenantId, actor.UserId, actor.Name, "agent_file.deleted", nameof(AgentFile),
            file.Id.ToString(), Snapshot(file), null, clock.GetUtcNow(), file.Name));
        await work.Db.SaveChangesAsync(ct);
        profiles.Forget(actor.TenantId);
        if (file.Stored) store.Delete(actor.TenantId, file.Id);
        return true;
    }

    public async Task<bool> DescribesImagesAsync(Guid tenantId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await work.Db.Tenants.Where(t => t.Id == tenantId).Select(t => t.DescribeImages).SingleAsync(ct);
    }

    public async Task SetDescribeImagesAsync(FilesActor actor, bool enabled, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(actor.TenantId, actor.UserId);
        var tenant = await work.Db.Tenants.SingleAsync(t => t.Id == actor.TenantId, ct);
        if (tenant.DescribeImages == enabled) return;
        tenant.SetDescribeImages(enabled);
        work.Db.AuditEntries.Add(AuditEntry.Change(actor.TenantId, actor.UserId, actor.Name, "agent.describe_images", "Tenant",
            tenant.Id.ToString(), JsonSerializer.Serialize(new { describeImages = !enabled }, Json),
            JsonSerializer.Serialize(new { describeImages = enabled }, Json), clock.GetUtcNow()));
        await work.Db.SaveChangesAsync(ct);
    }

    private static string Snapshot(AgentFile f) => JsonSerializer.Serialize(new
    {
        f.Name, f.Description, f.TriggerWords, f.Kind, f.FileName, f.ContentType, f.SizeBytes,
    }, Json);

    private static AgentFileView View(AgentFile f) => new(f.Id, f.Name, f.Description, f.TriggerWords, f.Kind, f.FileName, f.ContentType,
        f.SizeBytes, f.Stored, f.CreatedAt);

    /// <summary>A hint between members of one family the bytes already prove (a zip that is a .docx); never decides alone.</summary>
    private static string? MimeFromName(string fileName) => Path.GetExtension(fileName ?? "").ToLowerInvariant() switch
    {
        ".docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ".doc" => "application/msword",
        ".xls" => "application/vnd.ms-excel",
        ".ppt" => "application/vnd.ms-powerpoint",
        ".csv" => "text/csv",
        ".m4a" or ".mp3" or ".ogg" or ".aac" or ".3gp" => "audio/" + Path.GetExtension(fileName!)[1..],
        _ => null,
    };
}
