using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace NetDsl.Generators.Model;

/// <summary>A location as plain values (a <see cref="Location"/> would pin the syntax tree in the cache).</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo? From(Location? location) =>
        location?.SourceTree is null ? null : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);

    public static LocationInfo? From(SyntaxNode? node) => node is null ? null : From(node.GetLocation());
}

/// <summary>A diagnostic as plain values: descriptor id, message arguments and location.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments) =>
        new(descriptor.Id, location, new EquatableArray<string>(arguments));

    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(Diagnostics.DiagnosticDescriptors.ById(Id), Location?.ToLocation(),
            System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Cast<object>(Arguments)));
}

/// <summary>What the parser produced for one class: a model to emit (null when invalid), diagnostics, and for an invalid class a stub.</summary>
internal sealed record ParseResult<T>(T? Model, EquatableArray<DiagnosticInfo> Diagnostics, StubSpec? Stub = null) where T : class;

/// <summary>What a stub part for an invalid class needs (see <c>ClassReader.Stub</c>).</summary>
/// <param name="Namespace">Containing namespace, null for global.</param>
/// <param name="Name">Class name.</param>
/// <param name="IsNetwork">Network (parameterless constructor, Summary) or block (both block constructors).</param>
/// <param name="Forward">Whether to emit a throwing forward (false when the class declares one).</param>
/// <param name="Summary">Whether to emit a throwing Summary.</param>
/// <param name="FileStem">The stem of the generated file's name (see <c>Naming.HintNames</c>).</param>
internal sealed record StubSpec(string? Namespace, string Name, bool IsNetwork, bool Forward, bool Summary, string FileStem);
