//! States kept as TEXT columns: each enum writes its words once, here, and
//! becomes (and is bound as) `Text` in diesel, so a row's state is parsed
//! when the row is loaded. A word no variant owns fails that load with an
//! error naming the state and the word: never a panic, never a default.

/// Declares a state enum stored as text: `Variant = "word"` pairs give
/// `as_str`, `from_stored`, `ALL`, `Display` and the diesel mapping.
macro_rules! stored_state {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal) {
            $($(#[$vmeta:meta])* $variant:ident = $word:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(diesel::AsExpression, diesel::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        $vis enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every variant, in declaration order (for the round-trip tests).
            #[cfg(test)]
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// What the state is called in errors (for the round-trip tests).
            #[cfg(test)]
            pub const WHAT: &'static str = $what;

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }

            /// The state a stored word names, if any.
            pub fn from_stored(raw: &str) -> Option<Self> {
                match raw {
                    $($word => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let raw = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, DB>>::from_sql(bytes)?;
                $name::from_stored(&raw).ok_or_else(|| $crate::domain::state::unknown($what, &raw))
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, DB>) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(self.as_str(), out)
            }
        }
    };
}

pub(crate) use stored_state;

/// The load error for a word no variant owns; also logged, since the
/// caller's error may be summarised before anyone reads it.
pub fn unknown(what: &str, raw: &str) -> Box<dyn std::error::Error + Send + Sync> {
    tracing::error!(state = what, stored = raw, "a row holds an unknown state");
    format!("unknown {what} {raw:?} stored").into()
}
