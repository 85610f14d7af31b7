using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CreatioGoogle.Sandbox.Creatio;

/// <summary>
/// The <c>$filter</c> subset the sync needs: eq/ne/gt/ge/lt/le, and/or/not, parentheses, contains/startswith/endswith,
/// on text, GUID, datetime, boolean and integer columns. Literals are OData 4's: 'text' ('' escapes a quote),
/// unquoted GUIDs and datetimes, true/false/null. Unknown columns and type mismatches are 400s (facts §0 trap 8).
/// </summary>
internal static partial class ODataFilter
{
    public static Func<JsonObject, bool> Parse(string filter, EntitySchema schema)
    {
        var parser = new Parser(Tokenize(filter), schema);
        var predicate = parser.ParseOr();
        parser.ExpectEnd();
        return predicate;
    }

    /// <summary>Resolves <c>Account/Id</c> to the lookup column <c>AccountId</c>; anything else must be a column.</summary>
    public static (string Column, ColumnType Type) ResolveColumn(string name, EntitySchema schema)
    {
        var column = name.EndsWith("/Id", StringComparison.Ordinal) ? name[..^3] + "Id" : name;
        return schema.TryGetColumn(column, out var type)
            ? (column, type)
            : throw new ODataException(400, $"Could not find a property named '{name}' on type 'Terrasoft.Configuration.{schema.Name}'.");
    }

    private enum Kind
    {
        Word,
        Text,
        Open,
        Close,
        Comma,
    }

    private readonly record struct Token(Kind Kind, string Value);

    private static List<Token> Tokenize(string s)
    {
        var tokens = new List<Token>();
        for (var i = 0; i < s.Length;)
        {
            var c = s[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c is '(' or ')' or ',')
            {
                tokens.Add(new(c == '(' ? Kind.Open : c == ')' ? Kind.Close : Kind.Comma, c.ToString()));
                i++;
            }
            else if (c == '\'')
            {
                var sb = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= s.Length)
                    {
                        throw new ODataException(400, "Unterminated string literal in $filter.");
                    }

                    if (s[i] == '\'')
                    {
                        if (i + 1 < s.Length && s[i + 1] == '\'')
                        {
                            sb.Append('\'');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    sb.Append(s[i++]);
                }

                tokens.Add(new(Kind.Text, sb.ToString()));
            }
            else
            {
                var start = i;
                while (i < s.Length && !char.IsWhiteSpace(s[i]) && s[i] is not ('(' or ')' or ',' or '\''))
                {
                    i++;
                }

                tokens.Add(new(Kind.Word, s[start..i]));
            }
        }

        return tokens;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$")]
    private static partial Regex DateTimeLiteral();

    private sealed class Parser(List<Token> tokens, EntitySchema schema)
    {
        private static readonly string[] Comparisons = ["eq", "ne", "gt", "ge", "lt", "le"];
        private int _pos;

        public void ExpectEnd()
        {
            if (_pos < tokens.Count)
            {
                throw new ODataException(400, $"Syntax error at position {_pos} in $filter: unexpected '{tokens[_pos].Value}'.");
            }
        }

        public Func<JsonObject, bool> ParseOr()
        {
            var left = ParseAnd();
            while (IsWord("or"))
            {
                _pos++;
                var l = left;
                var r = ParseAnd();
                left = row => l(row) || r(row);
            }

            return left;
        }

        private Func<JsonObject, bool> ParseAnd()
        {
            var left = ParseUnary();
            while (IsWord("and"))
            {
                _pos++;
                var l = left;
                var r = ParseUnary();
                left = row => l(row) && r(row);
            }

            return left;
        }

        private Func<JsonObject, bool> ParseUnary()
        {
            if (IsWord("not"))
            {
                _pos++;
                var inner = ParseUnary();
                return row => !inner(row);
            }

            if (Peek()?.Kind == Kind.Open)
            {
                _pos++;
                var inner = ParseOr();
                Expect(Kind.Close);
                return inner;
            }

            var first = Next("a property or function");
            if (first.Kind == Kind.Word && Peek()?.Kind == Kind.Open
                && first.Value is "contains" or "startswith" or "endswith")
            {
                _pos++;
                var (column, type) = ResolveColumn(Next("a property").Value, schema);
                Expect(Kind.Comma);
                var arg = Next("a string literal");
                Expect(Kind.Close);
                if (type != ColumnType.Text || arg.Kind != Kind.Text)
                {
                    throw new ODataException(400, $"{first.Value} needs a text property and a string literal.");
                }

                var needle = arg.Value;
                return first.Value switch
                {
                    "contains" => row => ((string)ODataValues.Read(row, column, type)!).Contains(needle, StringComparison.OrdinalIgnoreCase),
                    "startswith" => row => ((string)ODataValues.Read(row, column, type)!).StartsWith(needle, StringComparison.OrdinalIgnoreCase),
                    _ => row => ((string)ODataValues.Read(row, column, type)!).EndsWith(needle, StringComparison.OrdinalIgnoreCase),
                };
            }

            if (first.Kind != Kind.Word)
            {
                throw new ODataException(400, "A comparison must start with a property name.");
            }

            var (col, colType) = ResolveColumn(first.Value, schema);
            var op = Next("a comparison operator").Value;
            if (!Comparisons.Contains(op))
            {
                throw new ODataException(400, $"Unknown operator '{op}' in $filter.");
            }

            var literal = ParseLiteral(Next("a literal"), col, colType);
            return op switch
            {
                "eq" => row => ODataValues.Compare(Read(row, col, colType), literal) == 0,
                "ne" => row => ODataValues.Compare(Read(row, col, colType), literal) != 0,
                "gt" => row => literal is not null && ODataValues.Compare(Read(row, col, colType), literal) > 0,
                "ge" => row => literal is not null && ODataValues.Compare(Read(row, col, colType), literal) >= 0,
                "lt" => row => Read(row, col, colType) is not null && ODataValues.Compare(Read(row, col, colType), literal) < 0,
                _ => row => Read(row, col, colType) is not null && ODataValues.Compare(Read(row, col, colType), literal) <= 0,
            };
        }

        private static object? Read(JsonObject row, string column, ColumnType type) => ODataValues.Read(row, column, type);

        private static object? ParseLiteral(Token token, string column, ColumnType type)
        {
            if (token.Kind == Kind.Word && token.Value == "null")
            {
                // A lookup without a value is stored as NULL and shown as the empty GUID.
                return type == ColumnType.Guid ? Guid.Empty : type == ColumnType.Text ? "" : null;
            }

            object? value = (type, token.Kind) switch
            {
                (ColumnType.Text, Kind.Text) => token.Value,
                (ColumnType.Guid, Kind.Word) when Guid.TryParseExact(token.Value, "D", out var g) => g,
                (ColumnType.DateTime, Kind.Word) when DateTimeLiteral().IsMatch(token.Value) =>
                    DateTimeOffset.Parse(token.Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                (ColumnType.Boolean, Kind.Word) when token.Value is "true" or "false" => token.Value == "true",
                (ColumnType.Integer, Kind.Word) when long.TryParse(token.Value, CultureInfo.InvariantCulture, out var n) => n,
                _ => null,
            };
            return value ?? throw new ODataException(400,
                $"A binary operator with incompatible types was detected: property '{column}' ({type}) and literal '{token.Value}'.");
        }

        private bool IsWord(string word) => Peek() is { Kind: Kind.Word } t && t.Value == word;

        private Token? Peek() => _pos < tokens.Count ? tokens[_pos] : null;

        private Token Next(string what) =>
            _pos < tokens.Count ? tokens[_pos++] : throw new ODataException(400, $"Syntax error in $filter: expected {what}.");

        private void Expect(Kind kind)
        {
            if (Next(kind.ToString()).Kind != kind)
            {
                throw new ODataException(400, $"Syntax error in $filter: expected {kind}.");
            }
        }
    }
}
