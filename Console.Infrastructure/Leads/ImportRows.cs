using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Pipeline;

namespace OperatorConsole.Infrastructure.Leads;

/// <summary>One CSV row read through a mapping: the lead it describes, or why it cannot be imported.</summary>
public sealed record ImportRow(int Row, string? Name, string? Phone, string? Email, string? Company, PipelineStage? Stage,
    IReadOnlyDictionary<string, string> Fields, string? ErrorCode, IReadOnlyList<string> ErrorArgs, string? Error)
{
    public bool Valid => ErrorCode is null;
}

public static class ImportRows
{
    /// <summary>Reads one record's cells (by header) into a lead, checking the phone (E.164 in <paramref name="region"/>), e-mail and typed fields.</summary>
    public static ImportRow Read(int row, Func<string, string?> cell, IReadOnlyDictionary<string, string> mapping, string region,
        IReadOnlyDictionary<string, CustomFieldDefinition> definitions, IReadOnlyList<PipelineStage> stages)
    {
        string? name = null, phone = null, email = null, company = null;
        PipelineStage? stage = null;
        var fields = new Dictionary<string, string>();
        ImportRow Fail(string code, string reason, params string[] args) =>
            new(row, name, phone, email, company, stage, fields, code, args, reason);
        foreach (var (column, target) in mapping)
        {
            var value = cell(column)?.Trim();
            if (string.IsNullOrEmpty(value)) continue;
            switch (target)
            {
                case "name":
                    name = value.Length > 200 ? value[..200] : value;
                    break;
                case "company":
                    company = value.Length > 200 ? value[..200] : value;
                    break;
                case "phone":
                    phone = PhoneNumberNormalizer.ToE164(value, region);
                    if (phone is null) return Fail("import.phone", $"'{value}' is not a phone number.", value);
                    break;
                case "email":
                    if (!EmailAddress.IsValid(value)) return Fail("import.email", $"'{value}' is not an e-mail address.", value);
                    email = value.ToLowerInvariant();
                    break;
                case "stage":
                    // The workspace's own stages, by name ignoring case and accents (or a default stage's name in either language).
                    stage = LeadPipeline.Match(stages, value);
                    if (stage is null) return Fail("import.stage", $"'{value}' is not a stage.", value);
                    break;
                default:
                    if (!target.StartsWith(LeadCommands.CustomPrefix, StringComparison.Ordinal)) break;
                    var key = target[LeadCommands.CustomPrefix.Length..];
                    try
                    {
                        var stored = definitions.TryGetValue(key, out var d) ? d.Normalize(value) : value.Length > 500 ? value[..500] : value;
                        if (stored is not null) fields[key] = stored;
                    }
                    catch (DomainException ex)
                    {
                        return Fail(ex.Code, ex.Message, ex.Args.Select(a => a?.ToString() ?? "").ToArray());
                    }
                    break;
            }
        }
        if (phone is null && email is null) return Fail("import.no_contact", "A lead needs a phone or an e-mail.");
        return new ImportRow(row, name, phone, email, company, stage, fields, null, [], null);
    }
}
