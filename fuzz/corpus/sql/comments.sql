-- dashboard: revenue
SELECT sum(total) -- per user
FROM orders /* all /* nested */ */ WHERE user_id = 5