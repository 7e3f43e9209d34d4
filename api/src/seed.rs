//! Demo data: the real Xiamen division tree, one account per role and a few hundred synthetic retirees with
//! valid resident IDs ([`app::seed`]). Seeding is idempotent: what exists is left alone.

pub use app::seed::{
    CHANGSHA_CSV, DEMO_CLIENT, DEMO_PASSWORD, DEMO_RETIREES, DEMO_USERS, DemoInfo, JINNING_CSV, XIAMEN_CSV,
    make_id_number, seed_demo,
};
