using FsCheck;
using FsCheck.Fluent;
using OperatorConsole.Infrastructure.Channels.Inbound;

namespace OperatorConsole.Tests.Hostile;

/// <summary>The parser properties at proof size: 20,000 random and mutated bodies per channel (CONSOLE_FUZZ_CASES overrides).</summary>
public class WebhookParserProofTests
{
    [Theory]
    [Trait("Category", "Proof")]
    [InlineData("whatsapp")]
    [InlineData("messenger")]
    [InlineData("instagram")]
    [InlineData("tiktok")]
    public void Twenty_thousand_hostile_bodies_per_channel_are_parsed_or_refused_as_a_format_error(string source) =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(HostilePayloads.Cases(20_000)).WithQuietOnSuccess(true),
            Prop.ForAll(Arb.From(HostilePayloads.Any(source)), body =>
            {
                try
                {
                    _ = InboundParsers.Parse(body.Source, body.Bytes);
                }
                catch (WebhookFormatException)
                {
                }
                return true;
            }));
}
