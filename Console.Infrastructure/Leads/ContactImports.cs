using System.Data;
using System.Globalization;
using System.Text;
using CsvHelper;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Pipeline;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Leads;

public sealed class ImportOptions
{
    /// <summary>Largest CSV accepted (bytes); 100,000 leads with a few columns are about 8 MB.</summary>
    [System.ComponentModel.DataAnnotations.Range(1024, 512L * 1024 * 1024)]
    public long MaxFileBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>Rows stored per transaction (and per progress step).</summary>
    [System.ComponentModel.DataAnnotations.Range(10, 10000)]
    public int BatchSize { get; set; } = 1000;
}

/// <summary>A file that cannot be imported at all (too large, not CSV, no header); the code words it for people.</summary>
public sealed class ImportRefusedException(string code, string message, params object?[] args) : Exception(message)
{
    public string Code { get; } = code;
    public IReadOnlyList<object?> Args { get; } = args;
}

public sealed record ImportPreview(IReadOnlyList<string> Headers, Dictionary<string, string> Mapping, IReadOnlyList<ImportRow> Rows, int Total);

/// <summary>
/// CSV import of leads: look at a file (headers, guessed mapping, first rows checked), then start it — the file is stored
/// with a <see cref="ContactImport"/> row and <see cref="ContactImportWorker"/> on any node runs it in batches.
/// </summary>
public sealed class ContactImports(ContextScopes scopes, IOptions<ImportOptions> options, TimeProvider clock, ContactImportSignal signal,
    ILogger<ContactImports> log)
{
    public long MaxFileBytes => options.Value.MaxFileBytes;

    // The separator is detected (Spanish Excel writes ';' between cells, commas elsewhere); bad quoting is recovered.
    public static CsvReaderOptions CsvOptions => new() { TrimWhitespace = true };

    /// <summary>Reads the upload into memory within the size limit, refusing what is not a CSV with a header.</summary>
    public async Task<byte[]> ReadUploadAsync(Stream upload, string? fileName, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await upload.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxFileBytes)
                throw new ImportRefusedException("import.too_large", $"The file is larger than {MaxFileBytes / (1024 * 1024)} MB.", MaxFileBytes / (1024 * 1024));
            buffer.Write(chunk, 0, read);
        }
        var bytes = buffer.ToArray();
        var head = bytes.AsSpan(0, Math.Min(bytes.Length, 8192));
        var extension = Path.GetExtension(fileName ?? "").ToLowerInvariant();
        // Spreadsheets (xlsx is a zip: "PK"), PDFs and images carry NUL bytes or a binary signature; text never does.
        if (bytes.Length == 0 || head.Contains((byte)0) || head.StartsWith("PK"u8) || head.StartsWith("%PDF"u8)
            || extension is ".xlsx" or ".xls" or ".pdf" or ".docx" or ".zip")
            throw new ImportRefusedException("import.not_csv", "The file is not a CSV (save the spreadsheet as CSV, UTF-8).");
        return bytes;
    }

    public async Task<ImportPreview> PreviewAsync(Guid tenantId, byte[] file, Dictionary<string, string>? mapping, int rows, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        var definitions = await work.Db.CustomFieldDefinitions.AsNoTracking().ToListAsync(ct);
        var region = await work.Db.Tenants.Where(t => t.Id == tenantId).Select(t => t.DefaultRegion).SingleAsync(ct);
        using var csv = CsvReader.Create(file, CsvOptions);
        var headers = ReadHeader(csv);
        mapping ??= ImportMapping.Guess(headers, definitions);
        var byKey = definitions.ToDictionary(d => d.Key);
        var stages = await LeadPipeline.StagesAsync(work.Db, ct);
        var preview = new List<ImportRow>();
        var total = 0;
        while (await csv.ReadAsync())
        {
            total++;
            if (preview.Count < rows) preview.Add(ImportRows.Read((int)csv.RowNumber + 1, c => csv.GetStringOrNull(c), mapping, region, byKey, stages));
        }
        return new ImportPreview(headers, mapping, preview, total);
    }

    /// <summary>Stores the file and its import (status running); a worker picks it up at once on this node, soon on others.</summary>
    public async Task<Guid> StartAsync(Guid tenantId, byte[] file, string fileName, Dictionary<string, string>? mapping, DuplicatePolicy duplicates,
        string createdBy, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        var db = work.Db;
        var definitions = await db.CustomFieldDefinitions.AsNoTracking().ToListAsync(ct);
        var region = await db.Tenants.Where(t => t.Id == tenantId).Select(t => t.DefaultRegion).SingleAsync(ct);
        int total = 0;
        using (var csv = CsvReader.Create(file, CsvOptions))
        {
            var headers = ReadHeader(csv);
            mapping ??= ImportMapping.Guess(headers, definitions);
            var unknown = mapping.Keys.FirstOrDefault(k => !headers.Contains(k));
            if (unknown is not null) throw new ImportRefusedException("import.unknown_column", $"The file has no column '{unknown}'.", unknown);
            var bad = mapping.Values.FirstOrDefault(v => v.Length > 0 && !ImportMapping.StandardTargets.Contains(v)
                && !(v.StartsWith(LeadCommands.CustomPrefix, StringComparison.Ordinal) && v.Length > LeadCommands.CustomPrefix.Length));
            if (bad is not null) throw new ImportRefusedException("import.unknown_target", $"'{bad}' is not a lead field.", bad);
            if (!mapping.Values.Any(v => v is "phone" or "email"))
                throw new ImportRefusedException("import.no_contact_column", "Map a column to the phone or the e-mail: a lead needs one of them.");
            while (csv.Read()) total++;
        }
        var import = ContactImport.Start(tenantId, fileName, mapping.Where(m => m.Value.Length > 0).ToDictionary(), duplicates, region, total,
            createdBy, clock.GetUtcNow());
        db.ContactImports.Add(import);
        db.ContactImportFiles.Add(ContactImportFile.For(import, file));
        await db.SaveChangesAsync(ct);
        log.LogInformation("Contact import {ImportId} queued: {Rows} rows", import.Id, total);
        signal.Wake();
        return import.Id;
    }

    private static List<string> ReadHeader(CsvReader csv)
    {
        try
        {
            csv.ReadHeader();
            if (csv.Headers is not { Count: > 0 } header || header.All(string.IsNullOrWhiteSpace))
                throw new ImportRefusedException("import.no_header", "The file has no header row (the first row names the columns).");
            return [.. header];
        }
        catch (CsvFormatException)
        {
            throw new ImportRefusedException("import.not_csv", "The file is not a CSV (save the spreadsheet as CSV, UTF-8).");
        }
    }

    /// <summary>The rows the import could not take, as a CSV: row number, reason, and the row as it was.</summary>
    public static async Task WriteErrorsCsvAsync(AppDbContext db, Guid importId, Func<ContactImportError, string> reason, Stream output, CancellationToken ct)
    {
        // A byte order mark first, so Excel opens the accents right.
        await output.WriteAsync(Encoding.UTF8.Preamble.ToArray(), ct);
        await using var csv = CsvWriter.Create(output, null, leaveOpen: true);
        csv.WriteRecord(["row", "reason", "data"]);
        await foreach (var error in db.ContactImportErrors.AsNoTracking().Where(e => e.ImportId == importId).OrderBy(e => e.Row).AsAsyncEnumerable()
                           .WithCancellation(ct))
        {
            csv.WriteRecord([error.Row.ToString(CultureInfo.InvariantCulture), reason(error), error.Raw.TrimEnd('\r', '\n')]);
            await csv.FlushAsync(ct);
        }
    }
}

/// <summary>Wakes this node's import workers when an import is started here.</summary>
public sealed class ContactImportSignal
{
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    public void Wake() => _signal.Release();

    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        await _signal.WaitAsync(timeout, ct);
    }
}
