-- Change Tracking, PDV registry and event inbox: the canonical text is the hand-run entry script.
:r ../../sqlserver_enable_change_tracking.sql
