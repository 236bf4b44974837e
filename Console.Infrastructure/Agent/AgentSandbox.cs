using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>
/// The owner's test bench: runs the DRAFT profile against a chat the owner types, with the tenant's real knowledge,
/// files and calendar but pretend writes, so no customer, lead, slot or channel is touched. Token spend is recorded
/// under the Sandbox feature.
/// </summary>
public sealed class AgentSandbox(ContextScopes scopes, AgentProfiles profiles, AgentEngine engine, LlmGateway llm, Tools.CustomToolRunner customTools,
    TimeProvider clock)
{
    /// <param name="liveTools">Call the tenant's webhook tools for real; otherwise they answer their mock response.</param>
    /// <param name="at">When the customer wrote (a replayed past turn); now by default, so hours and the prompt's time match it.</param>
    /// <param name="feature">What the token usage is counted under (the replay evaluation runs here too).</param>
    /// <param name="draftSettings">A snapshot of the draft (<see cref="Snapshot"/>) to answer with instead of the draft as it is now.</param>
    public async Task<TurnResult> RunAsync(Guid tenantId, IReadOnlyList<TurnMessage> history, string customerText, ChannelKind channel,
        bool liveTools, CancellationToken ct, DateTimeOffset? at = null, LlmFeature feature = LlmFeature.Sandbox, string? draftSettings = null)
    {
        AgentProfile draft;
        string businessName, culture;
        IReadOnlyList<string> disabled;
        IReadOnlyList<AgentFileSummary> files;
        IReadOnlyList<Microsoft.Extensions.AI.AIFunction> tools;
        await using (var work = scopes.ForTenant(tenantId))
        {
            draft = await profiles.GetDraftAsync(work.Db, tenantId, ct);
            if (draftSettings is not null) draft = FromSnapshot(draft, draftSettings);
            tools = await AgentRunner.CustomToolsAsync(work.Db, customTools, forceMock: !liveTools, Tools.ToolCallContext.Sandbox, ct);
            var tenant = await work.Db.Tenants.AsNoTracking().SingleAsync(t => t.Id == tenantId, ct);
            businessName = tenant.Name;
            culture = tenant.DefaultCulture;
            disabled = tenant.DisabledBuiltInTools;
            files = await AgentProfiles.FilesAsync(work.Db, ct);
        }
        var now = at ?? clock.GetUtcNow();
        var conversation = history.Append(new TurnMessage(MessageSender.Contact, customerText, now)).ToList();
        var lastReply = conversation.FindLastIndex(m => m.Sender != MessageSender.Contact);
        var input = new TurnInput(tenantId, null, businessName, culture, draft,
            new LeadSnapshot("Sandbox", null, null, null, "New", 50, "Warm", new Dictionary<string, string>(), null),
            channel, conversation, conversation.Skip(lastReply + 1).Select(m => m.Text).ToList(),
            conversation.Count(m => m.Sender == MessageSender.Contact), 0, feature, now) { DisabledBuiltIns = disabled, Files = files };
        var result = await engine.RunAsync(input, new SandboxTurnEffects(scopes, tenantId, draft, clock), tools, ct);
        if (result.Model is { } model) await llm.RecordUsageAsync(tenantId, null, model, feature, result.Usage, ct);
        return result;
    }

    private static readonly System.Text.Json.JsonSerializerOptions SnapshotJson = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new BusinessHoursJson() },
    };

    /// <summary>Business hours as their list of opening intervals (the type is built from the list, not from properties).</summary>
    private sealed class BusinessHoursJson : System.Text.Json.Serialization.JsonConverter<BusinessHours>
    {
        public override BusinessHours Read(ref System.Text.Json.Utf8JsonReader reader, Type type, System.Text.Json.JsonSerializerOptions options) =>
            new(System.Text.Json.JsonSerializer.Deserialize<List<OpeningInterval>>(ref reader, options) ?? []);

        public override void Write(System.Text.Json.Utf8JsonWriter writer, BusinessHours value, System.Text.Json.JsonSerializerOptions options) =>
            System.Text.Json.JsonSerializer.Serialize(writer, value.Intervals, options);
    }

    /// <summary>The draft's settings as JSON, kept with a replay run so all of its turns answer with the same draft.</summary>
    public static string Snapshot(AgentSettings settings) => System.Text.Json.JsonSerializer.Serialize(settings, SnapshotJson);

    /// <summary>A detached copy of the draft carrying the snapshot's settings (the stored draft is not touched).</summary>
    private AgentProfile FromSnapshot(AgentProfile current, string snapshot)
    {
        var settings = System.Text.Json.JsonSerializer.Deserialize<AgentSettings>(snapshot, SnapshotJson)
                       ?? throw new InvalidOperationException("A replay run's draft snapshot is empty.");
        var copy = current.StartDraft(current.Version + 1, clock.GetUtcNow());
        copy.Update(settings, clock.GetUtcNow());
        return copy;
    }
}
