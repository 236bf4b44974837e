using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Contacts;

public enum ContactImportStatus { Running, Done, Failed }

/// <summary>What to do with a row whose phone or e-mail already belongs to a lead.</summary>
public enum DuplicatePolicy { Update, Skip }

/// <summary>
/// A CSV import of leads, run in the background. Counters move forward one batch at a time in the same transaction
/// as the batch's contacts, so progress read by any node (or after a restart) is exactly what has been stored, and a
/// restarted run continues after <see cref="Processed"/>.
/// </summary>
public sealed class ContactImport : ITenantOwned
{
    private Dictionary<string, string> _mapping = [];

    private ContactImport() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public string FileName { get; private set; } = "";
    public ContactImportStatus Status { get; private set; }
    public DuplicatePolicy Duplicates { get; private set; }
    /// <summary>CSV column header → target ("name", "phone", "email", "company", "stage", "field:{key}").</summary>
    public IReadOnlyDictionary<string, string> Mapping => _mapping;
    public string Region { get; private set; } = "MX";
    public int Total { get; private set; }
    public int Processed { get; private set; }
    public int Created { get; private set; }
    public int Updated { get; private set; }
    public int Skipped { get; private set; }
    public int Failed { get; private set; }
    public string? Error { get; private set; }
    public string CreatedBy { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? FinishedAt { get; private set; }
    /// <summary>Until then the run belongs to the node that claimed it; after, any node may take it over.</summary>
    public DateTimeOffset? LeaseUntil { get; private set; }

    public static ContactImport Start(Guid tenantId, string fileName, IReadOnlyDictionary<string, string> mapping, DuplicatePolicy duplicates,
        string region, int total, string createdBy, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        TenantId = tenantId,
        FileName = fileName.Length > 200 ? fileName[..200] : fileName,
        Status = ContactImportStatus.Running,
        Duplicates = duplicates,
        _mapping = new Dictionary<string, string>(mapping),
        Region = region,
        Total = total,
        CreatedBy = createdBy,
        CreatedAt = now,
    };

    public void Advance(int processed, int created, int updated, int skipped, int failed)
    {
        Processed += processed;
        Created += created;
        Updated += updated;
        Skipped += skipped;
        Failed += failed;
    }

    /// <summary>Renews the claim of the node running it.</summary>
    public void Hold(DateTimeOffset until) => LeaseUntil = until;

    public void Finish(DateTimeOffset now)
    {
        Status = ContactImportStatus.Done;
        Total = Math.Max(Total, Processed);
        FinishedAt = now;
        LeaseUntil = null;
    }

    public void Fail(string error, DateTimeOffset now)
    {
        Status = ContactImportStatus.Failed;
        Error = error.Length > 500 ? error[..500] : error;
        FinishedAt = now;
        LeaseUntil = null;
    }

    /// <summary>
    /// A super admin runs a failed import again: any node's worker takes it and continues after <see cref="Processed"/>
    /// (rows already stored are not imported twice). False for an import that is not failed.
    /// </summary>
    public bool RetryFailed()
    {
        if (Status != ContactImportStatus.Failed) return false;
        Status = ContactImportStatus.Running;
        Error = null;
        FinishedAt = null;
        LeaseUntil = null;
        return true;
    }
}

/// <summary>A row the import could not take, with the reason and the row as it was (downloadable to fix and re-import).</summary>
public sealed class ContactImportError : ITenantOwned
{
    private ContactImportError() { }

    public Guid TenantId { get; private set; }
    public Guid ImportId { get; private set; }
    /// <summary>The row's number in the file, counting the header as row 1 (as a spreadsheet shows it).</summary>
    public int Row { get; private set; }
    /// <summary>The rule broken, as a code the screens word in the reader's language (with <see cref="Args"/>).</summary>
    public string Code { get; private set; } = "";
    public string[] Args { get; private set; } = [];
    /// <summary>The same in English, for the API and logs.</summary>
    public string Reason { get; private set; } = "";
    public string Raw { get; private set; } = "";

    public static ContactImportError For(ContactImport import, int row, string code, IEnumerable<object?> args, string reason, string raw) => new()
    {
        TenantId = import.TenantId,
        ImportId = import.Id,
        Row = row,
        Code = code,
        Args = args.Select(a => a?.ToString() ?? "").ToArray(),
        Reason = reason,
        Raw = raw.Length > 2000 ? raw[..2000] : raw,
    };
}

/// <summary>The uploaded file, kept in the database so whichever node claims the import can read it.</summary>
public sealed class ContactImportFile : ITenantOwned
{
    private ContactImportFile() { }

    public Guid ImportId { get; private set; }
    public Guid TenantId { get; private set; }
    public byte[] Content { get; private set; } = [];

    public static ContactImportFile For(ContactImport import, byte[] content) => new() { ImportId = import.Id, TenantId = import.TenantId, Content = content };
}
