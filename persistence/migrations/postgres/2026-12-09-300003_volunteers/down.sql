DROP TABLE volunteer_services;
DROP TABLE volunteers;
